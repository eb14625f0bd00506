"""`kpa governance_tick`: opens what is due, closes what is over, reminds reviews."""

from __future__ import annotations

import datetime as dt
from io import StringIO

from django.core.management import call_command

from conftest import TODAY
from kpa.core import dates
from kpa.core.models import Notification
from kpa.governance import proposals, register
from kpa.governance.models import Decision, Proposal
from kpa.governance.tests.factories import NOW, make_autonomous, make_proposal


def test_tick_opens_closes_and_reminds(cast, monkeypatch):
    make_autonomous(cast.home)
    opens = NOW + dt.timedelta(hours=1)
    scheduled = make_proposal(cast, method="majority", opens_at=opens,
                              closes_at=opens + dt.timedelta(days=2))
    assert scheduled.status == Proposal.Status.SCHEDULED
    ending = make_proposal(cast, method="consent", closes_at=NOW + dt.timedelta(hours=2))
    make_proposal(cast, method="majority", closes_at=NOW + dt.timedelta(days=5))
    register.record_decision(actor=None, kpa=cast.home, title="Horaires", source="show_of_hands",
                             outcome="adopted", decided_on=TODAY,
                             review_on=TODAY + dt.timedelta(days=10))
    monkeypatch.setattr(dates, "current_time", lambda: NOW + dt.timedelta(hours=2))
    out = StringIO()
    call_command("governance_tick", stdout=out)
    assert out.getvalue().strip() == ("Votes ouverts : 1. Votes clos : 1. "
                                      "Rappels avant clôture : 0. Rappels de révision : 1.")
    scheduled.refresh_from_db()
    ending.refresh_from_db()
    assert scheduled.status == Proposal.Status.OPEN
    assert ending.status == Proposal.Status.CLOSED
    assert Decision.objects.filter(proposal=ending).exists()
    out = StringIO()
    call_command("governance_tick", stdout=out)  # nothing left to do
    assert out.getvalue().strip() == ("Votes ouverts : 0. Votes clos : 0. "
                                      "Rappels avant clôture : 0. Rappels de révision : 0.")


def test_scheduled_vote_that_can_no_longer_open_returns_to_draft(cast):
    make_autonomous(cast.home)
    opens = NOW + dt.timedelta(hours=1)
    proposal = make_proposal(cast, method="majority", opens_at=opens,
                             closes_at=opens + dt.timedelta(hours=1))
    assert proposals.start_due(now=opens + dt.timedelta(hours=2)) == 0
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DRAFT
    assert not proposal.electors.exists()
    assert Notification.objects.filter(recipient=cast.user("referent"),
                                       topic="governance.proposal.not_started").exists()
