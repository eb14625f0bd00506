"""A KPA's autonomy level: supervised, accompanied or autonomous. Outside autonomy an animateur
approves the opening of each vote and ratifies its outcome; an autonomous KPA opens and closes
its own votes. The level changes only by an adopted proposal carrying `autonomy_target`
(`change_autonomy`, called when it is adopted, after ratification in a non-autonomous KPA).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.directory.models import Kpa
from kpa.governance import permissions
from kpa.governance.models import Decision, Method, Proposal

# How long an autonomy vote stays open once opened.
VOTE_DURATION = dt.timedelta(days=7)

# Proposals that may still change the level (not closed, not cancelled).
LIVE_STATUSES = (Proposal.Status.DRAFT, Proposal.Status.AWAITING_APPROVAL,
                 Proposal.Status.SCHEDULED, Proposal.Status.OPEN)


@dataclass(frozen=True)
class LevelWords:
    level: str
    label: str
    summary: str
    votes: str


def level_words(level: str) -> LevelWords:
    """What a level means for the people of the KPA, in plain words."""
    label = str(Kpa.Autonomy(level).label)
    supervised_votes = _("Une animatrice ou un animateur donne son accord avant que chaque "
                         "vote s'ouvre. Quand le vote est fini, elle ou il valide le résultat : "
                         "la décision compte seulement après cette validation.")
    if level == Kpa.Autonomy.SUPERVISED:
        return LevelWords(level, label, _("Le KPA démarre : une animatrice ou un animateur "
                                          "l'accompagne de près."), supervised_votes)
    if level == Kpa.Autonomy.ACCOMPANIED:
        return LevelWords(level, label, _("Le KPA prend ses marques, avec l'appui d'une "
                                          "animatrice ou d'un animateur."), supervised_votes)
    return LevelWords(level, label, _("Le KPA décide seul de sa vie collective."),
                      _("Les coopérant·es ouvrent et ferment elles-mêmes et eux-mêmes leurs "
                        "votes : la personne qui propose, ou un·e référent·e, ouvre le vote. "
                        "Le résultat compte tout de suite, sans validation. Les coopérant·es "
                        "peuvent aussi organiser les réunions."))


def other_levels(kpa: Kpa) -> list[LevelWords]:
    return [level_words(level) for level in Kpa.Autonomy.values if level != kpa.autonomy]


@transaction.atomic
def change_autonomy(kpa: Kpa, *, level: str, decision: Decision,
                    actor: AnyUser | None) -> Kpa:
    """Set the KPA's level as the adopted `decision` (of this KPA) says; actor None: the clock
    closed the vote. The only way governance changes the level."""
    if level not in Kpa.Autonomy.values:
        raise ValidationError(_("Ce niveau d'autonomie n'existe pas : choisis supervisé, "
                                "accompagné ou autonome."))
    if decision.kpa_id != kpa.pk:
        raise ValidationError(_("Cette décision est celle d'un autre KPA : elle ne peut pas "
                                "changer son autonomie."))
    if decision.outcome != Proposal.Outcome.ADOPTED:
        raise ValidationError(_("Cette décision n'adopte rien : le niveau d'autonomie ne "
                                "change pas."))
    locked = Kpa.objects.select_for_update().get(pk=kpa.pk)
    before = locked.autonomy
    Kpa.objects.filter(pk=kpa.pk).update(autonomy=level)
    kpa.autonomy = level
    audit.record(actor=actor, action="governance.kpa.autonomy_changed", target=kpa,
                 data={"from": before, "to": level, "decision": decision.pk})
    return kpa


def live_autonomy_proposal(kpa: Kpa) -> Proposal | None:
    """A proposal to change the level that is still under way, if any."""
    return (Proposal.objects.filter(kpa=kpa, status__in=LIVE_STATUSES)
            .exclude(autonomy_target="").order_by("-created_at", "-pk").first())


@transaction.atomic
def propose_autonomy_change(kpa: Kpa, *, actor: AnyUser, now: dt.datetime,
                            level: str) -> Proposal:
    """A majority proposal to move the KPA to `level`, open for a week once opened (it starts as
    a draft, opened as any other proposal)."""
    # Imported here: proposals leads to closing, which imports this module.
    from kpa.governance import proposals

    today = timezone.localdate(now)
    if not permissions.can_propose_in_kpa(actor, kpa, today=today):
        raise PermissionDenied
    if level not in Kpa.Autonomy.values:
        raise ValidationError({"level": _("Ce niveau d'autonomie n'existe pas : choisis "
                                          "supervisé, accompagné ou autonome.")})
    if level == kpa.autonomy:
        raise ValidationError({"level": _("Le KPA est déjà à ce niveau : choisis-en un "
                                          "autre.")})
    if live_autonomy_proposal(kpa) is not None:
        raise ValidationError(_("Une proposition de changement d'autonomie est déjà en cours : "
                                "vote sur celle-là d'abord."))
    words, current = level_words(level), level_words(kpa.autonomy)
    body = "\n\n".join([
        _("Passer le KPA du niveau « %(from)s » au niveau « %(to)s ».")
        % {"from": current.label, "to": words.label},
        f"**{words.label}** : {words.summary} {words.votes}",
    ])
    proposal: Proposal = proposals.create_proposal(
        actor=actor, now=now, kpa=kpa,
        title=_("Autonomie : passer en « %(to)s »") % {"to": words.label},
        body=body, method=Method.MAJORITY, closes_at=now + VOTE_DURATION,
        autonomy_target=level)
    return proposal
