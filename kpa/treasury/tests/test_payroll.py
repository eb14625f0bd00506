"""The payroll round trip: the month's CSV export, then the summary import that books each
remuneration on its treasury account — or refuses the whole file with a line-numbered report,
booking nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import TODAY
from kpa.core.models import AuditEvent, Notification
from kpa.directory.models import Person
from kpa.ledger.models import Entry, EntryLine
from kpa.ledger.treasury_accounts import treasury_account_for
from kpa.treasury import balances, pay, payroll
from kpa.treasury.models import PayRequest, PayrollImport, PayrollLine
from kpa.treasury.tests.test_pay_support import (
    NOVEMBER,
    account_of,
    another_cooperant,
    fund,
    requested,
    summary,
    transmitted,
)

OCTOBER = dt.date(2026, 10, 1)


def import_(shop, content: bytes, month: dt.date = NOVEMBER, today: dt.date = TODAY,
            actor=None) -> PayrollImport:
    return payroll.import_summary(actor=actor or shop.manager, structure=shop.cast.cae,
                                  month=month, file_name="recap.csv", content=content,
                                  today=today)


@pytest.fixture
def ready(shop):
    """The coopérant funded with 3000 €, asking 800 € net for November, transmitted."""
    account = account_of(shop)
    fund(shop, account, "3000")
    return account, transmitted(shop, account, shop.seller, "800")


# -- export ---------------------------------------------------------------------------------

def test_the_export_lists_the_transmitted_requests_for_a_spreadsheet(shop, ready) -> None:
    account, request = ready
    exported = payroll.export_month(actor=shop.manager, structure=shop.cast.cae,
                                    month=NOVEMBER, today=TODAY)
    assert exported.file_name == "paie-2026-11.csv"
    assert exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    person = shop.cast.cooperant
    assert rows == [
        ["id_personne", "nom", "prenom", "mois", "net_demande", "brut_estime", "cout_estime",
         "compte_tresorerie"],
        [str(person.pk), person.last_name, person.first_name, "2026-11", "800,00", "1025,64",
         "1333,33", account.code]]
    request.refresh_from_db()
    assert request.status == PayRequest.Status.EXPORTED
    assert request.exported_at is not None
    assert AuditEvent.objects.filter(action="treasury.payroll.exported").exists()


def test_the_export_leaves_out_requests_not_transmitted(shop, ready) -> None:
    user, account = another_cooperant(shop, "bintou")
    waiting = requested(shop, account, user, "300")
    exported = payroll.export_month(actor=shop.manager, structure=shop.cast.cae,
                                    month=NOVEMBER, today=TODAY)
    assert exported.count == 1
    waiting.refresh_from_db()
    assert waiting.status == PayRequest.Status.REQUESTED


def test_exporting_again_gives_the_whole_month(shop, ready) -> None:
    payroll.export_month(actor=shop.manager, structure=shop.cast.cae, month=NOVEMBER,
                         today=TODAY)
    user, account = another_cooperant(shop, "bintou")
    transmitted(shop, account, user, "300")
    assert payroll.export_month(actor=shop.manager, structure=shop.cast.cae, month=NOVEMBER,
                                today=TODAY).count == 2


def test_a_name_a_spreadsheet_would_compute_is_written_as_text(shop) -> None:
    user, account = another_cooperant(shop, "formule")
    Person.objects.filter(pk=account.person_id).update(last_name="=SOMME(A1)")
    transmitted(shop, account, user, "300")
    exported = payroll.export_month(actor=shop.manager, structure=shop.cast.cae,
                                    month=NOVEMBER, today=TODAY)
    assert ";'=SOMME(A1);" in exported.content.decode("utf-8-sig")


def test_a_request_the_payroll_left_out_can_still_be_refused(shop, ready) -> None:
    account, request = ready
    payroll.export_month(actor=shop.manager, structure=shop.cast.cae, month=NOVEMBER,
                         today=TODAY)
    pay.refuse_pay_request(actor=shop.manager, pay_request=request,
                           reason="Absente du logiciel de paie ce mois-ci.", today=TODAY)
    request.refresh_from_db()
    assert request.status == PayRequest.Status.REFUSED
    assert balances.figures_of(account.pk, shop.cast.cae, today=TODAY).committed == 0


def test_nothing_to_export_is_said_plainly(shop) -> None:
    with pytest.raises(ValidationError, match="Aucune demande transmise à la paie pour "
                                              "novembre 2026"):
        payroll.export_month(actor=shop.manager, structure=shop.cast.cae, month=NOVEMBER,
                             today=TODAY)


@pytest.mark.parametrize("persona", ["comptable", "referent", "cooperant", "outsider"])
def test_only_the_gestionnaire_exports_and_imports(shop, ready, persona) -> None:
    with pytest.raises(PermissionDenied):
        payroll.export_month(actor=shop.cast.user(persona), structure=shop.cast.cae,
                             month=NOVEMBER, today=TODAY)
    with pytest.raises(PermissionDenied):
        import_(shop, summary(f"{shop.cast.cooperant.pk};1025,64;800,00;1333,33"),
                actor=shop.cast.user(persona))


# -- import: booking ------------------------------------------------------------------------

def test_the_summary_books_the_remuneration_then_pays_the_net(shop, ready) -> None:
    account, request = ready
    done = import_(shop, summary(f"{shop.cast.cooperant.pk};1030,00;800,00;1350,00"))
    line = done.lines.get()
    assert (line.gross, line.net, line.employer_cost, line.pay_request) == (
        Decimal("1030.00"), Decimal("800.00"), Decimal("1350.00"), request)
    booking = line.entry
    assert (booking.journal.code, booking.date, booking.status) == (
        "OD", TODAY, Entry.Status.VALIDATED)
    assert sorted((ln.account.number, ln.debit, ln.credit, ln.treasury_account_id)
                  for ln in booking.lines.select_related("account")) == [
        ("421", Decimal("0"), Decimal("800.00"), account.pk),
        ("431", Decimal("0"), Decimal("550.00"), account.pk),
        ("641", Decimal("1030.00"), Decimal("0"), account.pk),
        ("645", Decimal("320.00"), Decimal("0"), account.pk),
    ]
    paid = Entry.objects.exclude(pk=booking.pk).get(source="treasury.payroll")
    assert paid.journal.code == "BQ1"
    assert paid.status == Entry.Status.VALIDATED
    assert sorted((ln.account.number, ln.debit, ln.credit, ln.treasury_account_id)
                  for ln in paid.lines.select_related("account")) == [
        ("421", Decimal("800.00"), Decimal("0"), account.pk),
        ("512", Decimal("0"), Decimal("800.00"), account.pk),
    ]
    request.refresh_from_db()
    assert request.status == PayRequest.Status.BOOKED
    assert AuditEvent.objects.filter(action="treasury.payroll.imported").exists()


def test_the_treasury_shows_the_real_cost_once_booked(shop, ready) -> None:
    account, _ = ready
    before = balances.figures_of(account.pk, shop.cast.cae, today=TODAY)
    assert before.available == Decimal("1666.67")  # 3000 - the estimated 1333,33
    assert before.remuneration == 0
    import_(shop, summary(f"{shop.cast.cooperant.pk};1030,00;800,00;1350,00"))
    after = balances.figures_of(account.pk, shop.cast.cae, today=TODAY)
    assert after.remuneration == Decimal("1350.00")
    assert after.cash == Decimal("2200.00")
    assert after.owed == Decimal("550.00")  # the charges still to pay to the URSSAF
    assert after.committed == 0
    assert after.available == Decimal("1650.00")


def test_the_coopérant_hears_the_pay_is_made(shop, ready) -> None:
    import_(shop, summary(f"{shop.cast.cooperant.pk};1030,00;800,00;1350,00"))
    told = Notification.objects.get(topic="treasury.payroll.booked")
    assert told.recipient == shop.seller
    assert told.subject == "Ta rémunération de novembre 2026 est payée"
    assert "est payée : 800,00 € net" in told.body


def test_a_past_month_is_dated_its_last_day(shop) -> None:
    account = account_of(shop)
    fund(shop, account, "3000", day=dt.date(2026, 10, 2))
    done = import_(shop, summary(f"{shop.cast.cooperant.pk};1030,00;800,00;1350,00"),
                   month=OCTOBER)
    assert done.lines.get().entry.date == dt.date(2026, 10, 31)
    assert done.lines.get().pay_request is None


def test_a_comma_separated_summary_by_account_code_with_decimal_points(shop, ready) -> None:
    account, request = ready
    _, other = another_cooperant(shop, "bintou")
    content = summary(f'{account.code},"1 030.00",800.00,1350',
                      f"{other.code},500,400,650",
                      header="Compte trésorerie,Salaire brut,Net payé,Coût employeur")
    done = import_(shop, content)
    assert sorted(done.lines.values_list("net", flat=True)) == [Decimal("400.00"),
                                                                Decimal("800.00")]
    request.refresh_from_db()
    assert request.status == PayRequest.Status.BOOKED


def test_a_latin1_summary_from_an_old_spreadsheet_is_read(shop, ready) -> None:
    content = ("id_personne;brut;net;coût employeur\n"
               f"{shop.cast.cooperant.pk};1030,00;800,00;1350,00\n").encode("cp1252")
    assert import_(shop, content).lines.count() == 1


def test_equal_gross_net_and_cost_books_no_empty_line(shop, ready) -> None:
    done = import_(shop, summary(f"{shop.cast.cooperant.pk};800;800;800"))
    numbers = sorted(done.lines.get().entry.lines.values_list("account__number", flat=True))
    assert numbers == ["421", "641"]


# -- import: refusals -----------------------------------------------------------------------

def refused(shop, content: bytes, month: dt.date = NOVEMBER) -> list[str]:
    entries = Entry.objects.count()
    with pytest.raises(ValidationError) as error:
        import_(shop, content, month=month)
    assert Entry.objects.count() == entries
    assert not PayrollImport.objects.exists()
    assert not PayrollLine.objects.exists()
    return error.value.messages


def test_every_bad_line_is_reported_by_number_and_nothing_is_booked(shop, ready) -> None:
    me = shop.cast.cooperant.pk
    messages = refused(shop, summary(
        f"{me};1030,00;800,00;1350,00",  # fine, but the file is refused as a whole
        "999999;1000;800;1300",
        f"{shop.cast.referent.pk};1000;800;1300",
        f"{me};douze;800;1300",
        "abc;1000;800;1300",
        ";1000;800;1300",
    ))
    assert messages == [
        "Rien n'est comptabilisé : corrigez le fichier puis importez-le de nouveau.",
        "Ligne 3 : personne n° 999999 inconnue.",
        f"Ligne 4 : la personne n° {shop.cast.referent.pk} n'a pas de trésorerie individuelle "
        "dans cette structure.",
        "Ligne 5 : brut « douze » n'est pas un montant.",
        f"Ligne 5 : {shop.cast.cooperant.full_name} est déjà à la ligne 2.",
        "Ligne 6 : « abc » n'est pas un numéro de personne.",
        "Ligne 7 : indiquez la personne ou son compte de trésorerie.",
    ]
    _, request = ready
    request.refresh_from_db()
    assert request.status == PayRequest.Status.TRANSMITTED


@pytest.mark.parametrize(("row", "message"), [
    ("{me};1000;1200;1300", "Ligne 2 : le net (1\u202f200,00) dépasse le brut (1\u202f000,00)."),
    ("{me};1000;800;900",
     "Ligne 2 : le coût employeur (900,00) est inférieur au brut (1\u202f000,00)."),
    ("{me};1000;0;1300", "Ligne 2 : net : le montant doit être positif."),
    ("{me};1000;800,123;1300", "Ligne 2 : net « 800,123 » : un montant s'écrit au centime près."),
    ("{me};1000;800", "Ligne 2 : coût employeur manquant."),
])
def test_impossible_amounts_are_refused(shop, ready, row, message) -> None:
    assert message in refused(shop, summary(row.format(me=shop.cast.cooperant.pk)))


def test_an_unknown_or_collective_account_code_is_refused(shop, ready) -> None:
    collective = treasury_account_for(shop.friperie, actor=shop.manager)
    messages = refused(shop, summary("T-0;1000;800;1300", f"{collective.code};1000;800;1300",
                                     header="compte_tresorerie;brut;net;cout_employeur"))
    assert messages[1:] == [
        "Ligne 2 : compte de trésorerie « T-0 » inconnu dans cette structure.",
        f"Ligne 3 : le compte « {collective.code} » n'est pas une trésorerie individuelle.",
    ]


def test_a_person_and_an_account_that_disagree_are_refused(shop, ready) -> None:
    _, other = another_cooperant(shop, "bintou")
    me = shop.cast.cooperant.pk
    messages = refused(shop, summary(
        f"{me};{other.code};1000;800;1300",
        header="id_personne;compte_tresorerie;brut;net;cout_employeur"))
    assert messages[1] == (f"Ligne 2 : la personne n° {me} et le compte « {other.code} » ne "
                           "correspondent pas.")


def test_the_same_file_is_imported_once(shop, ready) -> None:
    content = summary(f"{shop.cast.cooperant.pk};1030,00;800,00;1350,00")
    import_(shop, content)
    entries = Entry.objects.count()
    with pytest.raises(ValidationError, match="Ce fichier a déjà été importé le 28/11/2026 "
                                              r"\(paie de novembre 2026\)"):
        import_(shop, content)
    assert Entry.objects.count() == entries


def test_a_person_already_paid_this_month_is_refused(shop, ready) -> None:
    import_(shop, summary(f"{shop.cast.cooperant.pk};1030,00;800,00;1350,00"))
    with pytest.raises(ValidationError, match=r"la rémunération de novembre 2026 de .* est déjà "
                                              r"comptabilisée"):
        import_(shop, summary(f"{shop.cast.cooperant.pk};1030,00;800,00;1351,00"))
    assert PayrollLine.objects.count() == 1


@pytest.mark.parametrize(("content", "message"), [
    (b"", "Le fichier est vide"),
    (b"\n\n", "Le fichier est vide"),
    (b"id_personne;brut;net;cout_employeur\n", "Aucune ligne de paie"),
    (b"id_personne;brut;net\n1;2;3\n", "Ligne 1 : l'en-tête doit nommer les colonnes"),
    (b"\xef\xbb\xbfnom;brut;net;cout\nA;2;1;3\n", "Colonnes trouvées : nom, brut, net, cout"),
])
def test_a_file_without_its_header_or_its_lines_is_refused(shop, content, message) -> None:
    assert any(message in m for m in refused(shop, content))


def test_a_month_not_begun_is_refused(shop, ready) -> None:
    with pytest.raises(ValidationError, match="décembre 2026 n'a pas commencé"):
        import_(shop, summary(f"{shop.cast.cooperant.pk};1030;800;1350"),
                month=dt.date(2026, 12, 1))


def test_a_month_outside_the_open_books_is_refused(shop, ready) -> None:
    with pytest.raises(ValidationError, match="Aucun exercice ne couvre le 31/12/2025"):
        import_(shop, summary(f"{shop.cast.cooperant.pk};1030;800;1350"),
                month=dt.date(2025, 12, 1))


def test_the_books_stay_balanced_and_the_accounts_sum_to_the_ledger(shop, ready) -> None:
    user, other = another_cooperant(shop, "bintou")
    transmitted(shop, other, user, "300")
    import_(shop, summary(f"{shop.cast.cooperant.pk};1030,00;800,00;1350,00",
                          f"{other.person_id};390;300;510"))
    lines = EntryLine.objects.filter(entry__source="treasury.payroll")
    assert sum(ln.debit for ln in lines) == sum(ln.credit for ln in lines)
    assert all(ln.treasury_account_id is not None for ln in lines)
    whole = balances.structure_figures(shop.cast.cae, today=TODAY)
    accounts = balances.figures_for(shop.cast.cae, None, today=TODAY)
    assert whole.remuneration == sum(f.remuneration for f in accounts.values())
    assert whole.cash == sum(f.cash for f in accounts.values())
    assert pay.allowance_for(other, today=TODAY).available == Decimal("2490.00")
