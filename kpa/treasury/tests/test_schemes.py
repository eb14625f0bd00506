"""Contribution schemes and overrides: what the gestionnaire may write, and every refusal in
plain French with nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import TODAY
from kpa.core.models import AuditEvent
from kpa.ledger.models import TreasuryAccount
from kpa.sales.tests.conftest import Shop
from kpa.treasury import schemes
from kpa.treasury.contribution import run_month, scheme_in_force
from kpa.treasury.models import ContributionOverride, ContributionScheme
from kpa.treasury.schemes import BracketInput, Scale
from kpa.treasury.tests.test_contribution_helpers import OPTEOS, account_of, opteos

JANUARY = dt.date(2026, 1, 1)


def messages(error: ValidationError) -> dict[str, list[str]]:
    return error.message_dict


def test_the_opteos_scale_is_stored_bracket_by_bracket(shop: Shop) -> None:
    scheme = schemes.create_scheme(
        actor=shop.manager, structure=shop.cast.cae, name="  Optéos  ", starts_on=JANUARY,
        brackets=list(reversed(OPTEOS)), monthly_fee="15,50", fee_waived_for_rsa=True,
        today=TODAY)
    assert scheme.name == "Optéos"
    assert scheme.monthly_fee == Decimal("15.50")
    assert [(b.lower_bound, b.rate) for b in scheme.brackets.all()] == [
        (Decimal("0.00"), Decimal("11.500")), (Decimal("30000.00"), Decimal("10.500")),
        (Decimal("60000.00"), Decimal("9.500")), (Decimal("90000.00"), Decimal("8.500")),
        (Decimal("120000.00"), Decimal("7.500"))]
    event = AuditEvent.objects.get(action="treasury.contribution_scheme.created")
    assert event.data["brackets"][1] == "30\u202f000,00 → 10,5 %"


@pytest.mark.parametrize(("brackets", "message"), [
    ([], "Donnez au moins une tranche"),
    ([BracketInput("100", "10")], "La première tranche commence à 0 € (ici à 100,00 €)."),
    ([BracketInput("0", "10"), BracketInput("0,00", "5")], "Deux tranches commencent à 0,00 €"),
    ([BracketInput("0", "101")], "Tranche 1 : « 101 » n'est pas un taux entre 0 et 100 %"),
    ([BracketInput("0", "10"), BracketInput("trente", "5")],
     "Tranche 2 : « trente » n'est pas un montant en euros"),
    ([BracketInput("0", "11.1234")], "trois décimales au plus"),
    ([BracketInput("-5", "10")], "Tranche 1 : « -5 » n'est pas un montant"),
])
def test_bad_brackets_are_refused_line_by_line(shop: Shop, brackets: list[BracketInput],
                                               message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        schemes.create_scheme(actor=shop.manager, structure=shop.cast.cae, name="Barème",
                              starts_on=JANUARY, brackets=brackets, today=TODAY)
    assert any(message in text for text in messages(refused.value)["brackets"])
    assert not ContributionScheme.objects.exists()


def test_every_refusal_of_a_scheme_comes_at_once_keyed_by_field(shop: Shop) -> None:
    with pytest.raises(ValidationError) as refused:
        schemes.create_scheme(actor=shop.manager, structure=shop.cast.cae, name=" ",
                              starts_on=dt.date(2026, 1, 15), ends_on=dt.date(2026, 3, 3),
                              base="profit", monthly_fee="-3", brackets=[], today=TODAY)
    found = messages(refused.value)
    assert set(found) == {"name", "base", "monthly_fee", "starts_on", "ends_on", "brackets"}
    assert found["starts_on"] == ["Commencez le 1er d'un mois (la contribution se compte par "
                                  "mois), par exemple le 01/02/2026."]


def test_two_general_schemes_never_overlap(shop: Shop) -> None:
    opteos(shop)
    with pytest.raises(ValidationError, match="Le barème « Optéos » s'applique déjà depuis le "
                                              "01/01/2026, sans fin"):
        schemes.create_scheme(actor=shop.manager, structure=shop.cast.cae, name="2027",
                              starts_on=dt.date(2027, 1, 1), brackets=OPTEOS, today=TODAY)


def test_only_the_gestionnaire_sets_schemes(shop: Shop) -> None:
    for persona in ("comptable", "referent", "cooperant", "outsider"):
        with pytest.raises(PermissionDenied):
            schemes.create_scheme(actor=shop.cast.user(persona), structure=shop.cast.cae,
                                  name="x", starts_on=JANUARY, brackets=OPTEOS, today=TODAY)
    assert schemes.create_scheme(actor=shop.cast.user("admin"), structure=shop.cast.cae,
                                 name="x", starts_on=JANUARY, brackets=OPTEOS, today=TODAY)


def _update(shop: Shop, scheme: ContributionScheme, **changes: object) -> ContributionScheme:
    fields: dict[str, object] = {
        "name": scheme.name, "starts_on": scheme.starts_on, "ends_on": scheme.ends_on,
        "base": scheme.base, "monthly_fee": scheme.monthly_fee,
        "fee_waived_for_rsa": scheme.fee_waived_for_rsa,
        "brackets": [BracketInput(b.lower_bound, b.rate) for b in scheme.brackets.all()]}
    fields.update(changes)
    return schemes.update_scheme(actor=shop.manager, scheme=scheme, today=TODAY,
                                 **fields)  # type: ignore[arg-type]


def test_a_scheme_not_used_yet_may_change_entirely(shop: Shop) -> None:
    scheme = opteos(shop)
    updated = _update(shop, scheme, brackets=[BracketInput("0", "8")], monthly_fee="10")
    assert [(b.lower_bound, b.rate) for b in updated.brackets.all()] == [
        (Decimal("0.00"), Decimal("8.000"))]
    assert updated.monthly_fee == Decimal("10.00")


def test_a_scheme_that_served_keeps_its_computation_and_may_only_end(shop: Shop) -> None:
    scheme = opteos(shop)
    account_of(shop)
    run_month(actor=shop.manager, structure=shop.cast.cae, month=dt.date(2026, 11, 1),
              today=dt.date(2026, 12, 2))
    with pytest.raises(ValidationError, match=r"a servi pour la contribution de 11/2026 .* "
                                              r"\(le 01/12/2026 au plus tôt\)"):
        _update(shop, scheme, brackets=[BracketInput("0", "8")])
    with pytest.raises(ValidationError, match="il s'arrête le 01/12/2026 au plus tôt"):
        _update(shop, scheme, ends_on=dt.date(2026, 11, 1))
    ended = _update(shop, scheme, name="Optéos 2026", ends_on=dt.date(2026, 12, 1))
    assert (ended.name, ended.ends_on) == ("Optéos 2026", dt.date(2026, 12, 1))
    assert AuditEvent.objects.filter(action="treasury.contribution_scheme.updated").exists()


def test_an_activity_is_exempted_on_its_treasury_account(shop: Shop) -> None:
    override = schemes.create_override(
        actor=shop.manager, activity=shop.activity, exempt=True, reason="Démarrage",
        starts_on=dt.date(2026, 11, 1), ends_on=dt.date(2027, 2, 1), today=TODAY)
    # an individual activity's override lands on its coopérant's individual account
    assert override.treasury_account.kind == TreasuryAccount.Kind.INDIVIDUAL
    assert override.treasury_account.person == shop.cast.cooperant
    assert AuditEvent.objects.filter(action="treasury.contribution_override.created",
                                     target_id=str(override.pk)).exists()


def test_a_particular_scheme_is_born_with_its_override_and_may_serve_again(shop: Shop) -> None:
    opteos(shop)
    first = schemes.create_override(
        actor=shop.manager, activity=shop.friperie, reason="Insertion",
        new_scale=Scale(name="Solidaire", brackets=[BracketInput("0", "4")]),
        starts_on=dt.date(2026, 11, 1), today=TODAY)
    particular = first.scheme
    assert particular is not None
    assert list(schemes.particular_schemes_of(shop.cast.cae)) == [particular]
    assert [s.name for s in schemes.schemes_of(shop.cast.cae)] == ["Optéos"]
    in_force = scheme_in_force(shop.cast.cae, dt.date(2026, 11, 1))
    assert in_force is not None
    assert in_force.name == "Optéos"
    second = schemes.create_override(actor=shop.manager, activity=shop.activity,
                                     reason="Insertion", scheme=particular,
                                     starts_on=dt.date(2026, 11, 1), today=TODAY)
    assert second.scheme == particular


def test_an_override_cannot_name_a_general_scheme_nor_another_structures(shop: Shop) -> None:
    general = opteos(shop)
    with pytest.raises(ValidationError, match="est un barème général de la structure"):
        schemes.create_override(actor=shop.manager, activity=shop.activity, reason="x",
                                scheme=general, starts_on=dt.date(2026, 11, 1), today=TODAY)
    foreign = ContributionScheme.objects.create(
        structure=shop.cast.other_structure, name="Ailleurs", starts_on=JANUARY)
    with pytest.raises(ValidationError, match="celui d'une autre structure"):
        schemes.create_override(actor=shop.manager, activity=shop.activity, reason="x",
                                scheme=foreign, starts_on=dt.date(2026, 11, 1), today=TODAY)


def test_an_override_is_either_an_exemption_or_a_scheme_and_says_why(shop: Shop) -> None:
    with pytest.raises(ValidationError) as refused:
        schemes.create_override(
            actor=shop.manager, activity=shop.activity, reason=" ", exempt=True,
            new_scale=Scale(name="x", brackets=[BracketInput("0", "4")]),
            starts_on=dt.date(2026, 11, 1), today=TODAY)
    assert set(messages(refused.value)) == {"scheme", "reason"}
    with pytest.raises(ValidationError, match="Choisissez : exonérer"):
        schemes.create_override(actor=shop.manager, activity=shop.activity, reason="x",
                                starts_on=dt.date(2026, 11, 1), today=TODAY)
    assert not ContributionOverride.objects.exists()
    assert not ContributionScheme.objects.exists()


def test_two_overrides_of_one_account_never_overlap(shop: Shop) -> None:
    schemes.create_override(actor=shop.manager, activity=shop.activity, exempt=True,
                            reason="Démarrage", starts_on=dt.date(2026, 11, 1), today=TODAY)
    with pytest.raises(ValidationError, match=r"Une dérogation s'applique déjà .* à partir du "
                                              r"01/11/2026"):
        schemes.create_override(actor=shop.manager, activity=shop.activity, exempt=True,
                                reason="Autre", starts_on=dt.date(2027, 1, 1), today=TODAY)


def test_an_override_cannot_start_in_a_month_already_counted(shop: Shop) -> None:
    opteos(shop)
    account_of(shop)
    run_month(actor=shop.manager, structure=shop.cast.cae, month=dt.date(2026, 11, 1),
              today=dt.date(2026, 12, 2))
    with pytest.raises(ValidationError, match="commence le 01/12/2026 au plus tôt"):
        schemes.create_override(actor=shop.manager, activity=shop.activity, exempt=True,
                                reason="Démarrage", starts_on=dt.date(2026, 11, 1),
                                today=TODAY)


def test_an_override_ends_after_the_months_it_served(shop: Shop) -> None:
    opteos(shop)
    override = schemes.create_override(
        actor=shop.manager, activity=shop.activity, exempt=True, reason="Démarrage",
        starts_on=dt.date(2026, 9, 1), today=TODAY)
    for month in (9, 10):
        run_month(actor=shop.manager, structure=shop.cast.cae, month=dt.date(2026, month, 1),
                  today=dt.date(2026, 11, 2))
    with pytest.raises(ValidationError, match="elle s'arrête le 01/11/2026 au plus tôt"):
        schemes.end_override(actor=shop.manager, override=override,
                             ends_on=dt.date(2026, 10, 1), today=TODAY)
    with pytest.raises(PermissionDenied):
        schemes.end_override(actor=shop.cast.user("comptable"), override=override,
                             ends_on=dt.date(2026, 11, 1), today=TODAY)
    ended = schemes.end_override(actor=shop.manager, override=override,
                                 ends_on=dt.date(2026, 11, 1), today=TODAY)
    assert ended.ends_on == dt.date(2026, 11, 1)
