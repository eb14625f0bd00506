"""The living charter of a KPA: drafts any member writes, versions adopted only by a decision,
each member's acknowledgement of the current version, the structure's rule that may make that
acknowledgement a condition of voting, and the differences between two versions.

Whether a person's missing acknowledgement blocks their vote is `eligibility.charter_blocks_vote`
(it belongs with the other rules of who votes).
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Literal

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kpa.core import audit, dates
from kpa.core.auth import AnyUser
from kpa.core.notifications import notify
from kpa.directory.models import Kpa, Person, Role, RoleKind, Structure
from kpa.directory.permissions import reach_of
from kpa.governance import permissions
from kpa.governance.models import (
    CharterAcknowledgement,
    CharterPolicy,
    CharterVersion,
    Decision,
    Proposal,
)

DiffKind = Literal["same", "added", "removed"]

# How long a charter vote stays open when proposed from the charter page.
VOTE_DURATION = dt.timedelta(days=7)


def current_charter(kpa: Kpa | int) -> CharterVersion | None:
    """The adopted version in force (at most one, the database sees to it)."""
    kpa_id = kpa if isinstance(kpa, int) else kpa.pk
    return (CharterVersion.objects.filter(kpa_id=kpa_id, status=CharterVersion.Status.ADOPTED)
            .select_related("decision").first())


def _person_id(actor: AnyUser, today: dt.date) -> int:
    person_id = reach_of(actor, today).person_id
    if person_id is None:
        # The administrator without a person file: a version needs an author.
        raise PermissionDenied
    return person_id


def _clean_body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise ValidationError({"body": _("Écris le texte de la charte : il ne peut pas être "
                                         "vide.")})
    return text + "\n"


@transaction.atomic
def draft_charter_version(kpa: Kpa, *, actor: AnyUser, body: str,
                          today: dt.date) -> CharterVersion:
    """A new draft, numbered after the highest version of this KPA (draft or not)."""
    if not permissions.can_draft_charter(actor, kpa, today=today):
        raise PermissionDenied
    text = _clean_body(body)
    author_id = _person_id(actor, today)
    # Lock the KPA so that two drafts written at once do not take the same number.
    Kpa.objects.select_for_update().filter(pk=kpa.pk).first()
    last = (CharterVersion.objects.filter(kpa=kpa).order_by("-number")
            .values_list("number", flat=True).first())
    version = CharterVersion.objects.create(kpa=kpa, number=(last or 0) + 1, body=text,
                                            created_by_id=author_id)
    audit.record(actor=actor, action="governance.charter_version.drafted", target=version,
                 data={"kpa": kpa.pk, "number": version.number})
    return version


def _under_vote(version: CharterVersion) -> bool:
    """A draft already put to the vote (or decided on) keeps the text people vote on."""
    return Proposal.objects.filter(charter_version=version).exclude(
        status=Proposal.Status.DRAFT).exists()


@transaction.atomic
def edit_charter_draft(version: CharterVersion, *, actor: AnyUser, body: str,
                       today: dt.date | None = None) -> CharterVersion:
    """Change a draft's text. An adopted or superseded version never changes, nor a draft whose
    proposal has left its own draft state (people vote on that text)."""
    today = today or dates.local_today()
    version = CharterVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != CharterVersion.Status.DRAFT:
        raise ValidationError(_("Une version adoptée ne change plus : rédige une nouvelle "
                                "version."))
    if not permissions.can_edit_charter_version(actor, version, today=today):
        raise PermissionDenied
    if _under_vote(version):
        raise ValidationError(_("Cette version est soumise au vote : elle ne change plus. "
                                "Rédige une nouvelle version."))
    text = _clean_body(body)
    before = version.body
    version.body = text
    version.save(update_fields=["body"])
    audit.record(actor=actor, action="governance.charter_version.edited", target=version,
                 data={"kpa": version.kpa_id, "number": version.number,
                       "length_before": len(before), "length_after": len(text)})
    return version


def charter_url(kpa_id: int) -> str:
    return reverse("governance:charter_kpa", args=[kpa_id])


def _members_with_login(kpa_id: int, today: dt.date) -> QuerySet[User]:
    members = Role.objects.current(today).filter(kpa_id=kpa_id).values("person_id")
    return User.objects.filter(person__in=members, is_active=True)


@transaction.atomic
def adopt_charter_version(version: CharterVersion, *, decision: Decision,
                          actor: AnyUser | None) -> CharterVersion:
    """Make `version` the charter in force, as `decision` (adopted, of the same KPA) decided;
    the version in force until now is superseded. Called when a proposal or a show of hands
    carrying this version is adopted (actor None: the clock closed the vote).

    When two drafts were voted on side by side, the last one adopted is in force, whatever its
    number: the most recent decision of the collective wins."""
    version = CharterVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != CharterVersion.Status.DRAFT:
        raise ValidationError(_("La version %(number)s de la charte n'est plus un projet : "
                                "elle ne peut pas être adoptée à nouveau.")
                              % {"number": version.number})
    if decision.kpa_id != version.kpa_id:
        raise ValidationError(_("Cette décision est celle d'un autre KPA : elle ne peut pas "
                                "adopter cette charte."))
    if decision.outcome != Proposal.Outcome.ADOPTED:
        raise ValidationError(_("Cette décision n'adopte rien : la charte reste un projet."))
    if CharterVersion.objects.filter(decision=decision).exists():
        raise ValidationError(_("Cette décision a déjà adopté une autre version de la "
                                "charte."))
    previous = current_charter(version.kpa_id)
    if previous is not None:
        # First, for at most one version is adopted at a time (a database constraint).
        CharterVersion.objects.filter(pk=previous.pk).update(
            status=CharterVersion.Status.SUPERSEDED)
        audit.record(actor=actor, action="governance.charter_version.superseded",
                     target=previous, data={"by": version.pk, "decision": decision.pk})
    version.status = CharterVersion.Status.ADOPTED
    version.decision = decision
    version.adopted_on = decision.decided_on
    version.save(update_fields=["status", "decision", "adopted_on"])
    audit.record(actor=actor, action="governance.charter_version.adopted", target=version,
                 data={"kpa": version.kpa_id, "number": version.number,
                       "decision": decision.pk,
                       "previous": previous.pk if previous is not None else None})
    subject = _("La charte v%(number)s est adoptée : prends-en connaissance") % {
        "number": version.number}
    notify(recipients=_members_with_login(version.kpa_id, decision.decided_on),
           subject=subject,
           body=_("Le collectif a adopté une nouvelle version de sa charte. Lis-la, puis "
                  "appuie sur « J'ai lu la charte et je m'engage à la respecter »."),
           url=charter_url(version.kpa_id), topic="governance.charter.adopted")
    return version


@transaction.atomic
def acknowledge_charter(version: CharterVersion, *, actor: AnyUser,
                        now: dt.datetime) -> CharterAcknowledgement:
    """The actor, a current member of the KPA, has read the charter in force and commits to
    it. Idempotent: acknowledging a second time returns the first acknowledgement, unchanged
    and without a new audit event (a double tap on a phone is not an error)."""
    today = timezone.localdate(now)
    version = CharterVersion.objects.get(pk=version.pk)
    if version.status != CharterVersion.Status.ADOPTED:
        raise ValidationError(_("Cette version n'est pas la charte en vigueur : lis la "
                                "version actuelle et engage-toi sur celle-là."))
    if not permissions.can_acknowledge_charter(actor, version, today=today):
        raise PermissionDenied
    person_id = _person_id(actor, today)
    acknowledgement, created = CharterAcknowledgement.objects.get_or_create(
        version=version, person_id=person_id, defaults={"acknowledged_at": now})
    if created:
        audit.record(actor=actor, action="governance.charter.acknowledged", target=version,
                     data={"person": person_id, "number": version.number})
    return acknowledgement


def acknowledgement_of(version: CharterVersion | None,
                       person_id: int | None) -> CharterAcknowledgement | None:
    if version is None or person_id is None:
        return None
    return CharterAcknowledgement.objects.filter(version=version, person_id=person_id).first()


def pending_acknowledgements(kpa: Kpa, *, today: dt.date) -> list[Person]:
    """The KPA's current members who have not acknowledged the charter in force: coopérants
    first, then the others, each by name. Nobody when no version is adopted yet.
    Two queries: the current version, then the people."""
    current = CharterVersion.objects.filter(
        kpa=kpa, status=CharterVersion.Status.ADOPTED).values_list("pk", flat=True).first()
    if current is None:
        return []
    roles = Role.objects.current(today).filter(kpa_id=kpa.pk)
    people = (Person.objects
              .filter(pk__in=roles.values("person_id"))
              .exclude(pk__in=CharterAcknowledgement.objects.filter(version_id=current)
                       .values("person_id"))
              .annotate(is_cooperant=Exists(roles.filter(person_id=OuterRef("pk"),
                                                         kind=RoleKind.COOPERANT)))
              .order_by("-is_cooperant", "last_name", "first_name", "pk"))
    return list(people)


@transaction.atomic
def set_charter_policy(structure: Structure, *, actor: AnyUser, required: bool,
                       today: dt.date) -> CharterPolicy:
    """The structure's rule: whether its KPAs' coopérants must acknowledge the charter in force
    before they vote."""
    if not permissions.can_set_charter_policy(actor, structure.pk, today=today):
        raise PermissionDenied
    policy, _created = CharterPolicy.objects.select_for_update().get_or_create(
        structure=structure)
    before = policy.acknowledgement_required
    policy.acknowledgement_required = bool(required)
    policy.save(update_fields=["acknowledgement_required"])
    audit.record(actor=actor, action="governance.charter_policy.set", target=policy,
                 data={"structure": structure.pk, "from": before, "to": bool(required)})
    return policy


def charter_policy_required(structure_id: int) -> bool:
    return CharterPolicy.objects.filter(structure_id=structure_id,
                                        acknowledgement_required=True).exists()


def diff_lines(old_text: str, new_text: str) -> list[tuple[DiffKind, str]]:
    """The two texts line by line: each line kept ("same"), taken out ("removed") or put in
    ("added"); a changed line is its old form removed, then its new form added."""
    old, new = (old_text or "").splitlines(), (new_text or "").splitlines()
    lines: list[tuple[DiffKind, str]] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines.extend(("same", line) for line in old[i1:i2])
            continue
        lines.extend(("removed", line) for line in old[i1:i2])
        lines.extend(("added", line) for line in new[j1:j2])
    return lines


def default_pair(numbers: list[int], current: CharterVersion | None) -> tuple[int, int] | None:
    """The charter in force against the version before it; without one in force, the last
    version against the one before it. `numbers` run from the highest down."""
    if len(numbers) < 2:
        return None
    after = current.number if current is not None else numbers[0]
    before = next((n for n in numbers if n < after), None)
    if before is None:  # the version in force is the first one: show what came after it
        before, after = after, next(n for n in reversed(numbers) if n > after)
    return before, after


@transaction.atomic
def propose_charter_version(version: CharterVersion, *, actor: AnyUser,
                            now: dt.datetime) -> Proposal:
    """Put a draft to the vote: a consent proposal carrying it, open for a week once opened
    (the proposal starts as a draft: its author or a lead opens it as usual)."""
    # Imported here: proposals leads to closing, which imports this module.
    from kpa.governance import proposals

    today = timezone.localdate(now)
    if version.status != CharterVersion.Status.DRAFT:
        raise ValidationError(_("Une version adoptée ne change plus : rédige une nouvelle "
                                "version."))
    if not permissions.can_propose_in_kpa(actor, version.kpa, today=today):
        raise PermissionDenied
    if Proposal.objects.filter(charter_version=version).exists():
        raise ValidationError(_("Cette version est déjà proposée au vote : ouvre sa "
                                "proposition, ou rédige une nouvelle version."))
    body = _("Adopter la version %(number)s de la charte du KPA.") % {"number": version.number}
    proposal: Proposal = proposals.create_proposal(
        actor=actor, now=now, kpa=version.kpa,
        title=_("Charte : adopter la version %(number)s") % {"number": version.number},
        body=f"{body}\n\n---\n\n{version.body}", method="consent",
        closes_at=now + VOTE_DURATION, charter_version=version)
    return proposal
