"""The journey's papers: the CAPE contract (frozen at issue), its signature certificate and the
insurance list, as PDF (WeasyPrint, through the ledger's renderer) — and the list as CSV."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from kpa.journey.models import Contract, InsuranceList, JourneyPolicy
from kpa.ledger.rendering import render_pdf


def contract_context(contract: Contract) -> dict[str, Any]:
    journey = contract.journey
    return {
        "contract": contract, "journey": journey, "person": journey.person,
        "structure": journey.structure, "kpa": journey.kpa,
        "policy": JourneyPolicy.of(journey.structure), "issued_at": contract.issued_at,
    }


def render_contract_pdf(contract: Contract) -> bytes:
    return render_pdf(render_to_string("journey/print/contract.html", contract_context(contract)))


def render_certificate_pdf(contract: Contract) -> bytes:
    context = contract_context(contract) | {"now": timezone.now()}
    return render_pdf(render_to_string("journey/print/certificate.html", context))


def render_insurance_list_pdf(insurance_list: InsuranceList) -> bytes:
    entries = insurance_list.entries.select_related("journey__person").order_by(
        "journey__person__last_name", "journey__person__first_name")
    return render_pdf(render_to_string("journey/print/insurance_list.html", {
        "insurance_list": insurance_list, "entries": entries, "kpa": insurance_list.kpa,
    }))


def insurance_list_rows(insurance_list: InsuranceList) -> Iterator[list[Any]]:
    yield [_("Nom"), _("Prénom"), _("Date de naissance"), _("Activité à assurer"), _("KPA"),
           _("Réponse")]
    for entry in insurance_list.entries.select_related("journey__person").order_by(
            "journey__person__last_name", "journey__person__first_name"):
        journey = entry.journey
        yield [journey.person.last_name, journey.person.first_name, journey.birth_date,
               entry.activity, insurance_list.kpa.name, entry.get_answer_display()]
