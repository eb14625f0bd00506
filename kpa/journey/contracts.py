"""Every write on CAPE contracts: issue, sign (in the platform or by a scanned copy), reissue a
late one, activate, renew, decide what comes next, and exit. Keyword-only, atomic, audited.

Rules (see `rules.py`): a period lasts 12 months at most; two renewals at most; 36 months in all;
a renewal starts the day the previous period ends; two CAPEs of one person with one structure
never overlap. A contract is signed by its start date or reissued with a new one; the PDF is
frozen at issue and its SHA-256 is sealed by the signature.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.directory import services as directory_services
from kpa.directory.models import Role, RoleKind
from kpa.journey import notices, permissions, rules
from kpa.journey.models import CareerStep, Contract, Journey, JourneyStatus
from kpa.journey.pdf import render_contract_pdf
from kpa.journey.services import is_insured, require, set_status
from kpa.journey.uploads import check_upload
from kpa.ledger import services as ledger_services
from kpa.ledger.models import Books, TreasuryAccount


def _held_spans(journey: Journey, *, excluding: Contract | None = None) -> list[rules.Span]:
    """Every live CAPE period of the person with the journey's structure, in any KPA."""
    contracts = Contract.objects.filter(
        journey__person_id=journey.person_id, journey__structure_id=journey.structure_id,
    ).exclude(status=Contract.Status.VOID)
    if excluding is not None:
        contracts = contracts.exclude(pk=excluding.pk)
    return [rules.Span(c.starts_on, c.ends_on) for c in contracts]


def chain_of(journey: Journey) -> list[Contract]:
    """The journey's live periods, oldest first."""
    return list(journey.contracts.exclude(status=Contract.Status.VOID).order_by("period_number"))


def _refuse(problems: rules.Problems) -> None:
    if problems:
        raise ValidationError(problems)


def _check_no_overlap(journey: Journey, starts_on: dt.date, ends_on: dt.date,
                      *, excluding: Contract | None = None) -> None:
    if rules.overlaps(rules.Span(starts_on, ends_on), _held_spans(journey, excluding=excluding)):
        raise ValidationError({"starts_on": _(
            "Cette personne a déjà un CAPE avec cette structure sur ces dates : deux CAPE ne se "
            "chevauchent pas. Renouvelez le contrat en cours ou choisissez d'autres dates."
        )})


def _new_contract(*, actor: AnyUser, journey: Journey, period_number: int,
                  starts_on: dt.date, ends_on: dt.date,
                  replaces: Contract | None = None) -> Contract:
    contract = Contract(journey=journey, period_number=period_number, starts_on=starts_on,
                        ends_on=ends_on, replaces=replaces, issued_at=timezone.now(),
                        issued_by=actor if actor.is_authenticated else None)
    contract.pdf = render_contract_pdf(contract)
    contract.pdf_sha256 = hashlib.sha256(bytes(contract.pdf)).hexdigest()
    contract.full_clean(exclude=["pdf"])
    contract.save()
    return contract


def _announce(contract: Contract, today: dt.date) -> None:
    journey = contract.journey
    notices.tell(journey, today=today, topic="journey.contract.sent",
                 subject=_("Contrat CAPE à signer"),
                 body=_("Le contrat CAPE de %(name)s (du %(start)s au %(end)s) est prêt. Il se "
                        "signe au plus tard le %(start)s.")
                 % {"name": journey.person.full_name,
                    "start": contract.starts_on.strftime("%d/%m/%Y"),
                    "end": contract.last_day.strftime("%d/%m/%Y")})


@transaction.atomic
def issue_contract(*, actor: AnyUser, journey: Journey, starts_on: dt.date,
                   ends_on: dt.date, today: dt.date) -> Contract:
    """The first period, for an insured person."""
    require(permissions.can_advance_journey(actor, journey, today=today))
    journey = Journey.objects.select_for_update().select_related(
        "person", "kpa", "structure").get(pk=journey.pk)
    if journey.status != JourneyStatus.INSURED or not is_insured(journey):
        raise ValidationError(_(
            "Le contrat s'émet quand l'assureur a dit oui. Étape actuelle : %(status)s."
        ) % {"status": journey.get_status_display()})
    if starts_on < today:
        raise ValidationError({"starts_on": _(
            "Le contrat ne peut pas commencer avant aujourd'hui : il doit être signé d'abord."
        )})
    _refuse(rules.period_problems(starts_on, ends_on))
    _check_no_overlap(journey, starts_on, ends_on)
    contract = _new_contract(actor=actor, journey=journey, period_number=1,
                             starts_on=starts_on, ends_on=ends_on)
    set_status(journey, JourneyStatus.CONTRACT_SENT)
    audit.record(actor=actor, action="journey.contract.issued", target=contract, data={
        "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(),
        "sha256": contract.pdf_sha256,
    })
    _announce(contract, today)
    return contract


def _check_signable(contract: Contract, today: dt.date) -> None:
    if contract.status != Contract.Status.SENT:
        raise ValidationError(_("Ce contrat n'attend pas de signature (%(status)s).")
                              % {"status": contract.get_status_display()})
    if today > contract.starts_on:
        raise ValidationError(_(
            "Ce contrat devait être signé au plus tard le %(day)s. Réémettez-le avec une "
            "nouvelle date de début."
        ) % {"day": contract.starts_on.strftime("%d/%m/%Y")})
    if hashlib.sha256(bytes(contract.pdf)).hexdigest() != contract.pdf_sha256:
        raise ValidationError(_("Le PDF du contrat a changé depuis son émission : il ne peut "
                                "pas être signé. Prévenez la structure."))


def _normalised(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(letters.replace("-", " ").split())


def renewal_note(contract: Contract) -> str:
    return (_("1er renouvellement") if contract.period_number == 2
            else _("2e renouvellement"))


def _after_signature(contract: Contract, actor: AnyUser, today: dt.date) -> None:
    journey = contract.journey
    if contract.is_renewal:
        CareerStep.objects.create(journey=journey, kind=CareerStep.Kind.RENEWAL,
                                  on=contract.starts_on, note=renewal_note(contract))
    elif journey.status == JourneyStatus.CONTRACT_SENT:
        set_status(journey, JourneyStatus.SIGNED)
    notices.tell(journey, today=today, topic="journey.contract.signed",
                 subject=_("Contrat CAPE signé"),
                 body=_("Le contrat de %(name)s est signé.") % {"name": journey.person.full_name})


@transaction.atomic
def sign_contract(*, actor: AnyUser, contract: Contract, typed_name: str,
                  today: dt.date) -> Contract:
    """The person signs by typing their full name; time, account and the PDF's SHA-256 are
    sealed on the contract and shown on its signature certificate."""
    require(permissions.can_sign_contract(actor, contract.journey, today=today))
    contract = Contract.objects.select_for_update().select_related("journey__person").get(
        pk=contract.pk)
    _check_signable(contract, today)
    if _normalised(typed_name) != _normalised(contract.journey.person.full_name):
        raise ValidationError({"typed_name": _(
            "Tapez votre prénom et votre nom comme sur le contrat : %(name)s."
        ) % {"name": contract.journey.person.full_name}})
    contract.status = Contract.Status.SIGNED
    contract.signature_method = Contract.SignatureMethod.PLATFORM
    contract.signed_at = timezone.now()
    contract.signed_by = actor  # type: ignore[assignment]
    contract.signed_name = " ".join(typed_name.split())
    contract.save(update_fields=["status", "signature_method", "signed_at", "signed_by",
                                 "signed_name"])
    audit.record(actor=actor, action="journey.contract.signed", target=contract, data={
        "method": "platform", "sha256": contract.pdf_sha256,
        "signed_at": contract.signed_at.isoformat(),
    })
    _after_signature(contract, actor, today)
    return contract


@transaction.atomic
def upload_signed_copy(*, actor: AnyUser, contract: Contract, content: bytes,
                       today: dt.date) -> Contract:
    """A paper signature: the référent or the structure files the scanned signed contract."""
    require(permissions.can_advance_journey(actor, contract.journey, today=today))
    contract = Contract.objects.select_for_update().select_related("journey__person").get(
        pk=contract.pk)
    _check_signable(contract, today)
    upload = check_upload(content)
    contract.status = Contract.Status.SIGNED
    contract.signature_method = Contract.SignatureMethod.SCAN
    contract.signed_at = timezone.now()
    contract.signed_by = actor  # type: ignore[assignment]
    contract.signed_copy = upload.content
    contract.signed_copy_sha256 = upload.sha256
    contract.save(update_fields=["status", "signature_method", "signed_at", "signed_by",
                                 "signed_copy", "signed_copy_sha256"])
    audit.record(actor=actor, action="journey.contract.signed", target=contract, data={
        "method": "scan", "sha256": contract.pdf_sha256, "copy_sha256": upload.sha256,
    })
    _after_signature(contract, actor, today)
    return contract


@transaction.atomic
def reissue_contract(*, actor: AnyUser, contract: Contract, starts_on: dt.date,
                     ends_on: dt.date, today: dt.date) -> Contract:
    """A contract not signed by its start date is voided and issued again with new dates."""
    require(permissions.can_advance_journey(actor, contract.journey, today=today))
    old = Contract.objects.select_for_update().select_related("journey").get(pk=contract.pk)
    if old.status != Contract.Status.SENT:
        raise ValidationError(_("Seul un contrat pas encore signé se réémet."))
    if today <= old.starts_on:
        raise ValidationError(_(
            "Ce contrat peut encore être signé jusqu'au %(day)s : il n'y a rien à réémettre."
        ) % {"day": old.starts_on.strftime("%d/%m/%Y")})
    if starts_on < today:
        raise ValidationError({"starts_on": _(
            "La nouvelle date de début est aujourd'hui ou plus tard."
        )})
    chain = [rules.Span(c.starts_on, c.ends_on) for c in chain_of(old.journey)
             if c.period_number < old.period_number]
    if old.is_renewal:
        _refuse(rules.chain_problems(starts_on=starts_on, ends_on=ends_on, chain=chain,
                                     reissue=True))
    else:
        _refuse(rules.period_problems(starts_on, ends_on))
    _check_no_overlap(old.journey, starts_on, ends_on, excluding=old)
    old.status = Contract.Status.VOID
    old.save(update_fields=["status"])
    new = _new_contract(actor=actor, journey=old.journey, period_number=old.period_number,
                        starts_on=starts_on, ends_on=ends_on, replaces=old)
    audit.record(actor=actor, action="journey.contract.reissued", target=new, data={
        "replaces": old.pk, "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(),
    })
    _announce(new, today)
    return new


@transaction.atomic
def activate(*, actor: AnyUser, journey: Journey, today: dt.date) -> Journey:
    """The person starts working: signed contract, insurer's yes, start date reached. They
    become a coopérant of the KPA if they were not already, and their individual treasury is
    opened in the structure's books."""
    require(permissions.can_advance_journey(actor, journey, today=today))
    journey = Journey.objects.select_for_update().select_related("person", "kpa").get(
        pk=journey.pk)
    if not is_insured(journey):
        raise ValidationError(_(
            "L'assureur n'a pas encore dit oui : personne ne commence avant. Notez sa réponse "
            "sur la fiche navette."
        ))
    if journey.status != JourneyStatus.SIGNED:
        raise ValidationError(_(
            "Le contrat doit être signé avant de commencer. Étape actuelle : %(status)s."
        ) % {"status": journey.get_status_display()})
    first = chain_of(journey)[0]
    if today < first.starts_on:
        raise ValidationError(_("Le contrat commence le %(day)s : revenez ce jour-là.")
                              % {"day": first.starts_on.strftime("%d/%m/%Y")})
    set_status(journey, JourneyStatus.ACTIVE)
    CareerStep.objects.create(journey=journey, kind=CareerStep.Kind.CAPE, on=first.starts_on)
    already_member = Role.objects.current(today).filter(
        person=journey.person, kind=RoleKind.COOPERANT, kpa=journey.kpa).exists()
    if not already_member:
        directory_services.grant_role(actor=actor, person=journey.person,
                                      kind=RoleKind.COOPERANT, scope=journey.kpa,
                                      starts_on=today, today=today)
    _open_individual_treasury(actor, journey)
    audit.record(actor=actor, action="journey.journey.activated", target=journey)
    notices.tell(journey, today=today, topic="journey.journey.activated",
                 subject=_("C'est parti !"),
                 body=_("%(name)s commence son activité au %(kpa)s.")
                 % {"name": journey.person.full_name, "kpa": journey.kpa.name})
    return journey


def _open_individual_treasury(actor: AnyUser, journey: Journey) -> None:
    """The CAPE opens the coopérant's individual treasury in the structure's books, when the
    books are kept here, so that every line about them carries it from the first day. A person
    who already has one with this structure (an earlier journey, another KPA) keeps it."""
    structure = journey.structure
    if not Books.objects.filter(structure=structure).exists():
        return
    accounts = TreasuryAccount.objects.filter(structure=structure)
    if accounts.filter(person_id=journey.person_id,
                       kind=TreasuryAccount.Kind.INDIVIDUAL).exists():
        return
    code, suffix = f"T-{journey.person_id}", 1
    while accounts.filter(code=code).exists():
        suffix += 1
        code = f"T-{journey.person_id}-{suffix}"
    ledger_services.open_treasury_account(
        actor=actor, structure=structure, code=code, label=journey.person.full_name,
        kind=TreasuryAccount.Kind.INDIVIDUAL, person=journey.person, kpa=journey.kpa)


def current_contract(journey: Journey) -> Contract | None:
    chain = chain_of(journey)
    return chain[-1] if chain else None


@transaction.atomic
def renew_contract(*, actor: AnyUser, contract: Contract, ends_on: dt.date,
                   today: dt.date) -> Contract:
    """Decide to renew and issue the next period, which starts the day this one ends."""
    require(permissions.can_advance_journey(actor, contract.journey, today=today))
    journey = Journey.objects.select_for_update().get(pk=contract.journey_id)
    contract = Contract.objects.get(pk=contract.pk)
    if journey.status != JourneyStatus.ACTIVE or contract.status != Contract.Status.SIGNED:
        raise ValidationError(_("Seul le contrat signé d'une personne en activité se renouvelle."))
    chain = chain_of(journey)
    if chain[-1].pk != contract.pk:
        raise ValidationError(_("Ce contrat a déjà une suite : voyez la dernière période."))
    if contract.decision:
        raise ValidationError(_("La suite de ce contrat est déjà décidée : %(decision)s.")
                              % {"decision": contract.get_decision_display()})
    spans = [rules.Span(c.starts_on, c.ends_on) for c in chain]
    _refuse(rules.chain_problems(starts_on=contract.ends_on, ends_on=ends_on, chain=spans))
    _check_no_overlap(journey, contract.ends_on, ends_on)
    contract.decision = Contract.Decision.RENEW
    contract.decided_on = today
    contract.save(update_fields=["decision", "decided_on"])
    renewal = _new_contract(actor=actor, journey=journey, period_number=contract.period_number + 1,
                            starts_on=contract.ends_on, ends_on=ends_on)
    audit.record(actor=actor, action="journey.contract.renewed", target=renewal, data={
        "renews": contract.pk, "ends_on": ends_on.isoformat(), "sha256": renewal.pdf_sha256,
    })
    _announce(renewal, today)
    return renewal


@transaction.atomic
def decide_next_step(*, actor: AnyUser, contract: Contract, decision: str,
                     today: dt.date) -> Contract:
    """Record, before the end, that the person will leave or move to a CESA at the end of this
    period (renewing is `renew_contract`, which issues the next period at once). The exit itself
    is recorded on the day with `record_exit`."""
    require(permissions.can_advance_journey(actor, contract.journey, today=today))
    contract = Contract.objects.select_for_update().select_related("journey").get(pk=contract.pk)
    if decision not in (Contract.Decision.EXIT, Contract.Decision.CESA):
        raise ValidationError({"decision": _(
            "Choisissez « sortir » ou « passer en CESA » ; pour renouveler, utilisez le bouton "
            "Renouveler."
        )})
    if contract.journey.status != JourneyStatus.ACTIVE or contract.status != Contract.Status.SIGNED:
        raise ValidationError(_("La suite se décide pour le contrat signé d'une personne en "
                                "activité."))
    if contract.decision:
        raise ValidationError(_("La suite de ce contrat est déjà décidée : %(decision)s.")
                              % {"decision": contract.get_decision_display()})
    contract.decision = decision
    contract.decided_on = today
    contract.save(update_fields=["decision", "decided_on"])
    audit.record(actor=actor, action="journey.contract.decided", target=contract,
                 data={"decision": decision})
    return contract


@transaction.atomic
def record_exit(*, actor: AnyUser, journey: Journey, exited_on: dt.date, exit_kind: str,
                destination: str = "", today: dt.date) -> Journey:
    """The journey ends: exit date, what comes next and where. Unsigned contracts are voided,
    the current contract's decision is recorded, and the person's remaining treasury is flagged
    for payout when they held a contract."""
    require(permissions.can_advance_journey(actor, journey, today=today))
    journey = Journey.objects.select_for_update().get(pk=journey.pk)
    if journey.status == JourneyStatus.ENDED:
        raise ValidationError(_("Ce parcours est déjà terminé."))
    if exit_kind not in Journey.ExitKind.values:
        raise ValidationError({"exit_kind": _("Choisissez la suite du parcours dans la liste.")})
    signed = [c for c in chain_of(journey) if c.status == Contract.Status.SIGNED]
    registered_on = timezone.localdate(journey.created_at)
    if exited_on < registered_on:
        raise ValidationError({"exited_on": _(
            "La sortie ne peut pas précéder l'inscription (%(day)s)."
        ) % {"day": registered_on.strftime("%d/%m/%Y")}})
    if exited_on > today:
        raise ValidationError({"exited_on": _(
            "Une sortie s'enregistre le jour où elle a lieu, pas avant : pour une sortie "
            "prévue, notez la décision sur le contrat en cours."
        )})
    if signed and exited_on < signed[0].starts_on:
        raise ValidationError({"exited_on": _(
            "La sortie ne peut pas précéder le début du contrat (%(day)s)."
        ) % {"day": signed[0].starts_on.strftime("%d/%m/%Y")}})
    if signed and exited_on > signed[-1].ends_on:
        raise ValidationError({"exited_on": _(
            "Le dernier contrat a pris fin le %(day)s : la sortie date de ce jour au plus tard."
        ) % {"day": signed[-1].ends_on.strftime("%d/%m/%Y")}})
    # Periods that never began are void: an unsigned one, and a signed renewal starting after
    # the exit (its renewal step goes with it, so the figures count only periods lived).
    started = [c for c in signed if c.starts_on <= exited_on]
    journey.contracts.filter(
        Q(status=Contract.Status.SENT) | Q(status=Contract.Status.SIGNED, starts_on__gt=exited_on)
    ).update(status=Contract.Status.VOID)
    journey.steps.filter(kind=CareerStep.Kind.RENEWAL, on__gt=exited_on).delete()
    # The running period carries the decision, replacing a "renew" that no longer happens.
    if started and started[-1].decision in ("", Contract.Decision.RENEW):
        last = started[-1]
        last.decision = (Contract.Decision.CESA if exit_kind == Journey.ExitKind.CESA
                         else Contract.Decision.EXIT)
        last.decided_on = today
        last.save(update_fields=["decision", "decided_on"])
    journey.exited_on = exited_on
    journey.exit_kind = exit_kind
    journey.exit_destination = destination.strip()
    journey.treasury_payout_pending = bool(started)
    journey.save(update_fields=["exited_on", "exit_kind", "exit_destination",
                                "treasury_payout_pending"])
    set_status(journey, JourneyStatus.ENDED)
    if exit_kind == Journey.ExitKind.CESA:
        CareerStep.objects.create(journey=journey, kind=CareerStep.Kind.CESA, on=exited_on)
    CareerStep.objects.create(journey=journey, kind=CareerStep.Kind.EXIT, on=exited_on,
                              note=journey.get_exit_kind_display())
    audit.record(actor=actor, action="journey.journey.exited", target=journey, data={
        "exited_on": exited_on.isoformat(), "exit_kind": exit_kind,
        "treasury_payout_pending": journey.treasury_payout_pending,
    })
    notices.tell(journey, today=today, topic="journey.journey.exited",
                 subject=_("Fin de parcours"),
                 body=_("Le parcours de %(name)s se termine le %(day)s.")
                 % {"name": journey.person.full_name, "day": exited_on.strftime("%d/%m/%Y")})
    return journey
