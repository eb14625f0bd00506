"""Reminders before each contract's end (the structure's offsets, e.g. 60, 30 and 7 days), in
the platform and by e-mail, until the decision (renew, exit, CESA) is recorded. The daily run
(`kpa journey_daily`) sends each reminder once; a run that missed days sends only the closest
one, not every offset passed."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kpa.journey import notices
from kpa.journey.models import Contract, ContractReminder, JourneyPolicy, JourneyStatus


@transaction.atomic
def send_contract_reminders(*, today: dt.date) -> list[ContractReminder]:
    sent = []
    contracts = (Contract.objects.filter(status=Contract.Status.SIGNED, decision="",
                                         journey__status=JourneyStatus.ACTIVE,
                                         ends_on__gt=today)
                 .select_related("journey__person__user", "journey__person__proxy__user",
                                 "journey__structure__journey_policy", "journey__kpa")
                 .prefetch_related("reminders"))
    for contract in contracts:
        days_left = (contract.ends_on - today).days
        due = [days for days in JourneyPolicy.of(contract.journey.structure).reminder_offsets
               if days >= days_left]
        already = {r.days_before for r in contract.reminders.all()}
        if not due or min(due) in already:
            continue
        # Offsets passed while no run happened are marked sent with the closest one (`due` is
        # in decreasing order, so the closest comes last): one reminder, not three.
        reminders = [ContractReminder(contract=contract, days_before=days)
                     for days in due if days not in already]
        ContractReminder.objects.bulk_create(reminders)
        sent.append(reminders[-1])
        journey = contract.journey
        notices.tell(journey, today=today, topic="journey.contract.ending",
                     subject=ngettext("Fin de contrat dans %(days)s jour",
                                      "Fin de contrat dans %(days)s jours", days_left)
                     % {"days": days_left},
                     body=_("Le contrat CAPE de %(name)s finit le %(day)s. Décidez de la suite : "
                            "renouveler, sortir ou passer en CESA.")
                     % {"name": journey.person.full_name,
                        "day": contract.last_day.strftime("%d/%m/%Y")})
    return sent
