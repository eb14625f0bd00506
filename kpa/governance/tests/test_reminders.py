"""A day before a vote closes, the electors whose voice is missing are reminded once."""

from __future__ import annotations

import datetime as dt

from conftest import TODAY, Cast
from kpa.core.models import AuditEvent, Notification
from kpa.directory.models import Person
from kpa.governance import ballots, delegates, proposals, reminders
from kpa.governance.models import Method, Proposal
from kpa.governance.tests import factories as gf
from kpa.governance.tests.factories import NOW, user_of

CLOSES = NOW + dt.timedelta(days=3)
DAY_BEFORE = CLOSES - dt.timedelta(hours=23)
TOPIC = "governance.proposal.closing_soon"


def reminded(proposal: Proposal) -> set[str]:
    return set(Notification.objects.filter(topic=TOPIC, url=proposal.get_absolute_url())
               .values_list("recipient__username", flat=True))


def test_only_the_missing_voices_are_reminded_once_a_day_before(
        cast: Cast, crowd: dict[str, Person]) -> None:
    vote = gf.make_proposal(cast, method=Method.MAJORITY, closes_at=CLOSES, max_proxies=1)
    alice, bruno, chloe = crowd["alice"], crowd["bruno"], crowd["chloe"]
    ballots.cast_vote(vote, actor=user_of(alice), now=NOW, choice="for")
    ballots.give_proxy(vote, actor=user_of(bruno), holder=chloe, now=NOW)
    ballots.cast_vote(vote, actor=user_of(chloe), now=NOW, choice="against")

    assert reminders.send_closing_reminders(now=CLOSES - dt.timedelta(hours=25)) == 0
    assert reminded(vote) == set()

    assert reminders.send_closing_reminders(now=DAY_BEFORE) == 1
    # Alice voted; Bruno gave his proxy; Chloe voted but has not used Bruno's proxy yet.
    electors = {e.person.user.username for e in vote.electors.select_related("person__user")
                if e.person is not None and e.person.user is not None}
    assert reminded(vote) == electors - {"alice", "bruno"}
    notice = Notification.objects.filter(topic=TOPIC, recipient__username="chloe").get()
    assert notice.subject == f"Vote bientôt terminé : {vote.title}"
    assert "Votre voix manque encore" in notice.body
    vote.refresh_from_db()
    assert vote.closing_reminder_sent_at == DAY_BEFORE
    event = AuditEvent.objects.get(action="governance.proposal.closing_reminded")
    assert event.data == {"recipients": len(electors) - 2}

    assert reminders.send_closing_reminders(now=DAY_BEFORE + dt.timedelta(hours=1)) == 0
    assert Notification.objects.filter(topic=TOPIC).count() == len(electors) - 2


def test_a_used_proxy_is_not_reminded(cast: Cast, crowd: dict[str, Person]) -> None:
    vote = gf.make_proposal(cast, method=Method.MAJORITY, closes_at=CLOSES, max_proxies=1)
    bruno, chloe = crowd["bruno"], crowd["chloe"]
    ballots.give_proxy(vote, actor=user_of(bruno), holder=chloe, now=NOW)
    ballots.cast_vote(vote, actor=user_of(chloe), now=NOW, choice="for",
                      on_behalf_of=gf.elector_of(vote, bruno))
    ballots.cast_vote(vote, actor=user_of(chloe), now=NOW, choice="for")
    reminders.send_closing_reminders(now=DAY_BEFORE)
    assert not reminded(vote) & {"bruno", "chloe"}
    assert "alice" in reminded(vote)


def test_a_secret_vote_reminds_by_who_voted_without_reading_ballots(
        cast: Cast, crowd: dict[str, Person]) -> None:
    vote = gf.make_proposal(cast, method=Method.MAJORITY, closes_at=CLOSES, secret=True)
    ballots.cast_vote(vote, actor=user_of(crowd["alice"]), now=NOW, choice="for")
    reminders.send_closing_reminders(now=DAY_BEFORE)
    assert "alice" not in reminded(vote)
    assert {"bruno", "chloe"} <= reminded(vote)


def test_an_objection_is_a_voice_in_a_consent(cast: Cast, crowd: dict[str, Person]) -> None:
    vote = gf.make_proposal(cast, method=Method.CONSENT, closes_at=CLOSES)
    gf.object_to(vote, crowd["alice"])
    reminders.send_closing_reminders(now=DAY_BEFORE)
    assert "alice" not in reminded(vote)
    assert {"bruno", "chloe"} <= reminded(vote)


def test_a_vote_shorter_than_a_day_is_not_reminded(cast: Cast,
                                                   crowd: dict[str, Person]) -> None:
    short = gf.make_proposal(cast, method=Method.MAJORITY,
                             closes_at=NOW + dt.timedelta(hours=20))
    assert reminders.send_closing_reminders(now=NOW + dt.timedelta(hours=1)) == 0
    short.refresh_from_db()
    assert short.closing_reminder_sent_at is None
    assert reminded(short) == set()


def test_a_cancelled_vote_is_not_reminded(cast: Cast, crowd: dict[str, Person]) -> None:
    vote = gf.make_proposal(cast, method=Method.MAJORITY, closes_at=CLOSES)
    proposals.cancel_proposal(vote, actor=cast.user("referent"), now=NOW,
                              reason="Le sujet est reporté.")
    assert reminders.send_closing_reminders(now=DAY_BEFORE) == 0
    assert reminded(vote) == set()


def test_in_the_network_the_kpas_still_silent_are_reminded(cast: Cast) -> None:
    delegates.designate_delegate(cast.home, actor=cast.user("referent"), person=cast.cooperant,
                                 starts_on=TODAY, today=TODAY)
    delegates.designate_delegate(cast.elsewhere, actor=cast.user("outsider"),
                                 person=cast.outsider, starts_on=TODAY, today=TODAY)
    vote = gf.make_proposal(cast.network, method=Method.MAJORITY, closes_at=CLOSES)
    ballots.cast_vote(vote, actor=cast.user("cooperant"), now=NOW, choice="for")
    assert reminders.send_closing_reminders(now=DAY_BEFORE) == 1
    assert "outsider" in reminded(vote)  # the other KPA's delegate
    assert "cooperant" not in reminded(vote)  # the home KPA has voted
    notice = Notification.objects.get(topic=TOPIC, recipient__username="outsider")
    assert "Votre KPA n'a pas encore donné sa voix" in notice.body
