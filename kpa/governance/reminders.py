"""The reminder before a vote closes: a day ahead, the electors whose voice is still missing are
told once, in their inbox and by e-mail, how long they have left.

A voice is missing when the elector has not voted (for a consent, nor raised an objection) and
has not given a proxy; a proxy holder is reminded of a proxy they have not used yet. In the
network the missing voices are KPAs: their delegate is reminded, or their référents and
animateurs when they have none. A vote that opened less than a day before its closing gets no
reminder: its opening notice has just gone out.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.notifications import notify
from kpa.governance.models import Elector, Method, Proposal
from kpa.governance.proposals import elector_users

CLOSING_NOTICE = dt.timedelta(hours=24)


def _missing_voices(proposal: Proposal) -> Q:
    """Electors of `proposal` who still have a voice to give, or a proxy to use."""
    silent = Q(has_voted=False)
    if proposal.method == Method.CONSENT:
        silent &= Q(objections__isnull=True)
    return (silent & Q(proxy_given__isnull=True)) | Q(
        proxies_held__giver__has_voted=False)


def send_closing_reminders(*, now: dt.datetime) -> int:
    """Remind, once per vote, the electors whose voice is missing in each open vote that closes
    within `CLOSING_NOTICE`. Returns how many votes were reminded."""
    due = (Proposal.objects.filter(status=Proposal.Status.OPEN, closes_at__gt=now,
                                   closes_at__lte=now + CLOSING_NOTICE,
                                   closing_reminder_sent_at__isnull=True)
           .order_by("closes_at", "pk").values_list("pk", flat=True))
    reminded = 0
    for pk in list(due):
        with transaction.atomic():
            proposal = (Proposal.objects.select_for_update()
                        .filter(pk=pk, status=Proposal.Status.OPEN,
                                closing_reminder_sent_at__isnull=True).first())
            if (proposal is None or proposal.closes_at is None or proposal.opens_at is None
                    or proposal.closes_at - proposal.opens_at <= CLOSING_NOTICE):
                continue
            proposal.closing_reminder_sent_at = now
            proposal.save(update_fields=["closing_reminder_sent_at"])
            missing = (Elector.objects.filter(_missing_voices(proposal), proposal=proposal)
                       .distinct())
            recipients = elector_users(proposal, timezone.localdate(now), missing)
            _remind(proposal, recipients)
            audit.record(actor=None, action="governance.proposal.closing_reminded",
                         target=proposal, data={"recipients": len(recipients)})
            reminded += 1
    return reminded


def _remind(proposal: Proposal, recipients: list[User]) -> None:
    assert proposal.closes_at is not None
    when = timezone.localtime(proposal.closes_at).strftime("%d/%m/%Y %H:%M")
    if proposal.network_id is not None:
        body = _("Votre KPA n'a pas encore donné sa voix. Le vote du réseau se termine le "
                 "%(when)s.") % {"when": when}
    else:
        body = _("Votre voix manque encore. Le vote se termine le %(when)s.") % {"when": when}
    notify(recipients=recipients, subject=_("Vote bientôt terminé : %(title)s")
           % {"title": proposal.title}, body=body, url=proposal.get_absolute_url(),
           topic="governance.proposal.closing_soon")
