"""The bank pages through the test client: import, a statement's cards with one-tap matches,
picking lines by hand, the reconciliation statement, the CSV layouts; 404 for anyone but the
structure's gestionnaire and comptable; lists at a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from conftest import TODAY
from kpa.core import dates
from kpa.sales.tests.conftest import Shop
from kpa.treasury import reconciliation
from kpa.treasury.models import BankCsvLayout, BankStatement, BankTransaction
from kpa.treasury.tests.test_bank_helpers import (
    bank_journal,
    create_layout,
    import_file,
    import_sample,
    post_bank,
    sample,
    transaction,
)
from kpa.treasury.tests.test_bank_reconciliation import ofx

NOV = dt.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


def url(name: str, *args: int) -> str:
    return reverse(f"treasury:{name}", args=args)


def login(client: Client, shop: Shop, persona: str = "comptable") -> Client:
    client.force_login(shop.cast.user(persona))
    return client


def text_of(response: Any) -> str:
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(without_tags.replace("&#x27;", "'").replace("&quot;", '"')
                    .replace("\u202f", " ").split())


def said(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# -- reach ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["cooperant", "referent", "coordinateur", "outsider"])
def test_nobody_but_the_structures_bookkeepers_reaches_the_bank(
        shop: Shop, client: Client, persona: str) -> None:
    import_sample(shop, "releve-ofx1.ofx")
    item = transaction(shop, "MAIRIE")
    line = post_bank(shop, NOV.replace(day=5), "30.00", "Règlement")
    layout = create_layout(shop)
    statement = BankStatement.objects.get()
    login(client, shop, persona)
    for page in [url("bank_home"), url("bank_import"), url("bank_statement", statement.pk),
                 url("bank_transaction", item.pk),
                 url("bank_reconciliation", bank_journal(shop).pk), url("bank_layouts"),
                 url("bank_layout_new"), url("bank_layout_edit", layout.pk)]:
        assert client.get(page).status_code == 404, page
    for action in [url("bank_match", item.pk), url("bank_ignore", item.pk),
                   url("bank_unmatch", item.pk), url("bank_layout_delete", layout.pk)]:
        assert client.post(action, {"lines": [line.pk]}).status_code == 404, action
    item.refresh_from_db()
    assert item.status == BankTransaction.Status.UNMATCHED
    assert BankCsvLayout.objects.exists()


@pytest.mark.parametrize("persona", ["gestionnaire", "comptable"])
def test_the_gestionnaire_and_the_comptable_see_the_bank(
        shop: Shop, client: Client, persona: str) -> None:
    import_sample(shop, "releve-ofx1.ofx")
    login(client, shop, persona)
    page = client.get(url("bank_home"))
    assert page.status_code == 200
    text = text_of(page)
    assert "BQ1 Banque" in text
    assert "4 opérations à rapprocher" in text
    assert "releve-ofx1.ofx" in text


def test_the_home_page_costs_the_same_queries_for_more_statements(
        shop: Shop, client: Client, django_assert_max_num_queries: Any,
        django_assert_num_queries: Any) -> None:
    import_sample(shop, "releve-ofx1.ofx")
    login(client, shop)
    with django_assert_max_num_queries(12) as few:
        assert client.get(url("bank_home")).status_code == 200
    for n in range(4):
        import_file(shop, ofx((f"202611{n + 1:02d}", "1.00", f"N{n}", "VIR")), name=f"{n}.ofx")
    with django_assert_num_queries(len(few)):
        page = client.get(url("bank_home"))
    assert text_of(page).count(".ofx") == 5


# -- import -----------------------------------------------------------------------------------


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_an_ofx_statement_is_imported_from_the_page(shop: Shop, client: Client) -> None:
    login(client, shop)
    assert client.get(url("bank_import")).status_code == 200
    response = client.post(url("bank_import"), {
        "journal": bank_journal(shop).pk, "layout": "",
        "file": upload("releve-ofx1.ofx", sample("releve-ofx1.ofx"))})
    statement = BankStatement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("bank_statement", statement.pk)
    assert said(response) == ["4 opérations importées."]


def test_a_csv_with_a_bad_line_comes_back_with_the_line_to_fix(
        shop: Shop, client: Client) -> None:
    layout = create_layout(shop)
    login(client, shop)
    response = client.post(url("bank_import"), {
        "journal": bank_journal(shop).pk, "layout": layout.pk,
        "file": upload("r.csv", b"Date;Libelle;Montant\n01/11/2026;VIR;10,00\n"
                                b"02/11/2026;CB;12,5x\n")})
    assert response.status_code == 400
    assert "Ligne 3 : « 12,5x » n'est pas un montant." in text_of(response)
    assert not BankStatement.objects.exists()


def test_a_csv_without_its_layout_is_refused_on_the_page(shop: Shop, client: Client) -> None:
    login(client, shop)
    response = client.post(url("bank_import"), {
        "journal": bank_journal(shop).pk, "layout": "",
        "file": upload("r.csv", sample("releve-montant-signe.csv"))})
    assert response.status_code == 400
    assert "Ce fichier n'est pas un relevé OFX, et aucun format CSV n'est choisi" in text_of(
        response)


def test_a_layout_or_journal_of_another_structure_is_not_offered(
        shop: Shop, client: Client) -> None:
    foreign = BankCsvLayout.objects.create(structure=shop.cast.other_structure, name="Ailleurs",
                                           date_column=1, label_column=2, amount_column=3)
    login(client, shop)
    response = client.post(url("bank_import"), {
        "journal": bank_journal(shop).pk, "layout": foreign.pk,
        "file": upload("r.csv", sample("releve-montant-signe.csv"))})
    assert response.status_code == 400
    assert "Ailleurs" not in response.content.decode()
    assert not BankStatement.objects.exists()


# -- a statement ------------------------------------------------------------------------------


def test_a_statement_shows_each_transaction_with_one_tap_suggestions(
        shop: Shop, client: Client) -> None:
    line = post_bank(shop, NOV.replace(day=4), "30.00", "Règlement FA-2026-0001")
    import_sample(shop, "releve-ofx1.ofx")
    login(client, shop)
    page = client.get(url("bank_statement", BankStatement.objects.get().pk))
    html = page.content.decode()
    assert page.status_code == 200
    assert f'name="lines" value="{line.pk}"' in html
    text = text_of(page)
    assert "05/11/2026 · +30,00 € · À rapprocher" in text
    assert "Rapprocher avec « Règlement FA-2026-0001 » du 04/11/2026" in text
    assert "1 jour d'écart" in text
    assert text.count("Aucune écriture du même montant à dix jours près.") == 3


def test_one_tap_matches_and_comes_back_to_the_statement(shop: Shop, client: Client) -> None:
    line = post_bank(shop, NOV.replace(day=4), "30.00", "Règlement")
    import_sample(shop, "releve-ofx1.ofx")
    item = transaction(shop, "MAIRIE")
    statement_url = url("bank_statement", item.statement_id)
    login(client, shop)
    response = client.post(url("bank_match", item.pk), {"lines": line.pk,
                                                        "next": statement_url})
    assert response.status_code == 302
    assert response["Location"] == statement_url
    assert said(response) == ["L'opération est rapprochée."]
    item.refresh_from_db()
    assert item.status == BankTransaction.Status.MATCHED
    page = text_of(client.get(statement_url))
    assert "Rapprochée avec :" in page
    assert "Défaire ce rapprochement" in page


def test_a_match_that_does_not_add_up_says_why(shop: Shop, client: Client) -> None:
    line = post_bank(shop, NOV.replace(day=4), "25.00", "Acompte")
    import_sample(shop, "releve-ofx1.ofx")
    item = transaction(shop, "MAIRIE")
    login(client, shop)
    response = client.post(url("bank_match", item.pk), {"lines": line.pk})
    assert response["Location"] == url("bank_transaction", item.pk)
    assert said(response) == ["Les lignes choisies font 25,00 € ; l'opération de la banque est "
                              "de 30,00 €. Choisissez des lignes dont la somme est égale."]


def test_a_line_off_the_bank_account_cannot_be_sent(shop: Shop, client: Client) -> None:
    cash = post_bank(shop, NOV.replace(day=5), "30.00", "Espèces", journal="CA", account="530")
    import_sample(shop, "releve-ofx1.ofx")
    item = transaction(shop, "MAIRIE")
    login(client, shop)
    response = client.post(url("bank_match", item.pk), {"lines": cash.pk})
    assert said(response) == ["Cette ligne ne peut pas être rapprochée ici."]
    item.refresh_from_db()
    assert item.status == BankTransaction.Status.UNMATCHED


def test_an_offsite_next_is_not_followed(shop: Shop, client: Client) -> None:
    import_sample(shop, "releve-ofx1.ofx")
    item = transaction(shop, "FRAIS TENUE")
    login(client, shop)
    response = client.post(url("bank_ignore", item.pk), {"next": "https://evil.test/"})
    assert response["Location"] == url("bank_transaction", item.pk)


def test_a_statement_page_costs_the_same_queries_for_more_transactions(
        shop: Shop, client: Client, django_assert_max_num_queries: Any,
        django_assert_num_queries: Any) -> None:
    post_bank(shop, NOV.replace(day=1), "10.00", "Remise 1")
    few = import_file(shop, ofx(("20261101", "10.00", "A1", "VIR 1"))).statement
    for n in range(2, 7):
        post_bank(shop, NOV.replace(day=n), f"{n}0.00", f"Remise {n}")
    many = import_file(shop, ofx(*[(f"202611{n:02d}", f"{n}0.00", f"B{n}", f"VIR {n}")
                                   for n in range(1, 7)]), name="b.ofx").statement
    reconciliation.match(actor=shop.manager, transaction=many.transactions.get(amount=20),
                         lines=[reconciliation.suggestions(many.transactions.get(amount=20))[0]
                                .line], today=TODAY)
    login(client, shop)
    with django_assert_max_num_queries(14) as counted:
        assert client.get(url("bank_statement", few.pk)).status_code == 200
    with django_assert_num_queries(len(counted)):
        page = client.get(url("bank_statement", many.pk))
    assert text_of(page).count("Rapprocher avec « Remise") == 5


def test_a_statement_filters_by_state(shop: Shop, client: Client) -> None:
    import_sample(shop, "releve-ofx1.ofx")
    reconciliation.ignore(actor=shop.manager, transaction=transaction(shop, "FRAIS TENUE"),
                          today=TODAY)
    login(client, shop)
    page = text_of(client.get(url("bank_statement", BankStatement.objects.get().pk),
                              {"etat": "ignored"}))
    assert "FRAIS TENUE DE COMPTE" in page
    assert "MERCERIE" not in page
    assert "Reprendre pour la rapprocher" in page
    assert "Mise de côté 1" in page


# -- a transaction: picking lines by hand -----------------------------------------------------


def test_several_lines_picked_by_hand_match_one_bank_transaction(
        shop: Shop, client: Client) -> None:
    first = post_bank(shop, NOV.replace(day=2), "20.00", "Chèque Durand")
    second = post_bank(shop, NOV.replace(day=3), "10.00", "Chèque Martin")
    post_bank(shop, dt.date(2026, 9, 1), "10.00", "Two months before: not offered")
    import_sample(shop, "releve-ofx1.ofx")
    item = transaction(shop, "MAIRIE")
    login(client, shop)
    page = client.get(url("bank_transaction", item.pk))
    text = text_of(page)
    assert "Chèque Durand · 20,00 €" in text
    assert "Two months before" not in text
    response = client.post(url("bank_match", item.pk), {"lines": [first.pk, second.pk]})
    assert response.status_code == 302
    item.refresh_from_db()
    assert set(item.matched_lines.all()) == {first, second}
    assert "Rapprocher avec ces lignes" not in text_of(client.get(url("bank_transaction",
                                                                      item.pk)))


def test_undo_and_set_aside_from_the_page(shop: Shop, client: Client) -> None:
    line = post_bank(shop, NOV.replace(day=5), "30.00", "Règlement")
    import_sample(shop, "releve-ofx1.ofx")
    item = transaction(shop, "MAIRIE")
    login(client, shop)
    client.post(url("bank_match", item.pk), {"lines": line.pk})
    response = client.post(url("bank_unmatch", item.pk))
    assert said(response)[-1] == "L'opération est de nouveau à rapprocher."
    response = client.post(url("bank_ignore", item.pk))
    assert said(response)[-1] == "L'opération est mise de côté."
    response = client.post(url("bank_ignore", item.pk))
    assert said(response)[-1] == "Seule une opération à rapprocher se met de côté."
    item.refresh_from_db()
    assert item.status == BankTransaction.Status.IGNORED


# -- the reconciliation statement -------------------------------------------------------------


def test_the_reconciliation_page_ends_with_the_bank_balance_against_the_books(
        shop: Shop, client: Client) -> None:
    post_bank(shop, NOV.replace(day=25), "80.00", "Chèque déposé")
    import_sample(shop, "releve-ofx1.ofx")
    login(client, shop)
    page = client.get(url("bank_reconciliation", bank_journal(shop).pk),
                      {"as_of": "2026-11-28", "balance": "-4,58"})
    text = text_of(page)
    assert page.status_code == 200
    assert "À la banque, pas dans les comptes : 4 opérations" in text
    assert "Dans les comptes, pas encore à la banque : 1 ligne" in text
    assert "Solde du compte dans les comptes 80,00 €" in text
    # 80,00 - 80,00 + (30,00 - 45,90 - 62,18 - 6,50)
    assert "= Solde que la banque devrait montrer -84,58 €" in text
    assert "Écart 80,00 € — à expliquer" in text


def test_a_bad_stated_balance_is_said_and_ignored(shop: Shop, client: Client) -> None:
    login(client, shop)
    page = client.get(url("bank_reconciliation", bank_journal(shop).pk), {"balance": "abc"})
    assert "« abc » n'est pas un montant." in text_of(page)
    assert "Écart" not in text_of(page)


def test_the_reconciliation_page_costs_the_same_queries_for_longer_lists(
        shop: Shop, client: Client, django_assert_max_num_queries: Any,
        django_assert_num_queries: Any) -> None:
    import_file(shop, ofx(("20261101", "10.00", "A1", "VIR 1")))
    post_bank(shop, NOV.replace(day=2), "5.00", "Remise")
    login(client, shop)
    page_url = url("bank_reconciliation", bank_journal(shop).pk)
    with django_assert_max_num_queries(16) as counted:
        assert client.get(page_url).status_code == 200
    for n in range(3, 8):
        post_bank(shop, NOV.replace(day=n), f"{n}.00", "Remise")
    import_file(shop, ofx(*[(f"202611{n:02d}", f"-{n}.00", f"C{n}", "CB") for n in range(3, 8)]),
                name="c.ofx")
    with django_assert_num_queries(len(counted)):
        page = client.get(page_url)
    assert "6 opérations" in text_of(page)


# -- layouts ----------------------------------------------------------------------------------


def layout_post(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Crédit Coopératif", "delimiter": ";", "encoding": "utf-8", "skip_rows": 1,
        "date_column": 1, "date_format": "%d/%m/%Y", "label_column": 2,
        "amount_mode": "signed", "amount_column": 3, "debit_column": "", "credit_column": "",
        "decimal_comma": "on"}
    data.update(changes)
    return data


def test_a_layout_is_created_edited_and_deleted_from_the_pages(
        shop: Shop, client: Client) -> None:
    login(client, shop)
    assert client.get(url("bank_layout_new")).status_code == 200
    response = client.post(url("bank_layout_new"), layout_post())
    assert response["Location"] == url("bank_layouts")
    layout = BankCsvLayout.objects.get()
    assert (layout.structure, layout.amount_column) == (shop.cast.cae, 3)
    assert "« ; » · utf-8 · date col. 1 (JJ/MM/AAAA)" in text_of(client.get(url("bank_layouts")))
    response = client.post(url("bank_layout_edit", layout.pk), layout_post(
        amount_mode="split", amount_column=3, debit_column=4, credit_column=5))
    layout.refresh_from_db()
    assert (layout.amount_column, layout.debit_column, layout.credit_column) == (None, 4, 5)
    client.post(url("bank_layout_delete", layout.pk))
    assert not BankCsvLayout.objects.exists()


def test_a_layout_form_says_what_is_missing(shop: Shop, client: Client) -> None:
    login(client, shop)
    response = client.post(url("bank_layout_new"), layout_post(
        amount_mode="split", amount_column="", debit_column=2))
    assert response.status_code == 400
    text = text_of(response)
    assert "Indiquez cette colonne." in text
    response = client.post(url("bank_layout_new"), layout_post(label_column=1))
    assert "La colonne 1 sert déjà à autre chose." in text_of(response)
    assert not BankCsvLayout.objects.exists()


def test_the_layouts_page_costs_the_same_queries_for_more_layouts(
        shop: Shop, client: Client, django_assert_max_num_queries: Any,
        django_assert_num_queries: Any) -> None:
    create_layout(shop)
    login(client, shop)
    with django_assert_max_num_queries(12) as counted:
        assert client.get(url("bank_layouts")).status_code == 200
    for n in range(4):
        create_layout(shop, name=f"Banque {n}")
    with django_assert_num_queries(len(counted)):
        page = client.get(url("bank_layouts"))
    assert text_of(page).count("Supprimer le format") == 5


def test_amounts_are_written_the_french_way(shop: Shop, client: Client) -> None:
    import_file(shop, ofx(("20261101", "1234.50", "A1", "VIR")))
    login(client, shop)
    page = text_of(client.get(url("bank_statement", BankStatement.objects.get().pk)))
    assert "+1 234,50 €" in page
    assert Decimal("1234.50") == BankTransaction.objects.get().amount


def test_a_layout_with_a_value_the_lists_do_not_offer_keeps_it_when_edited(
        shop: Shop, client: Client) -> None:
    layout = create_layout(shop, encoding="iso-8859-15", date_format="%d%m%Y")
    login(client, shop)
    page = client.get(url("bank_layout_edit", layout.pk)).content.decode()
    assert '<option value="iso-8859-15" selected>' in page
    response = client.post(url("bank_layout_edit", layout.pk), layout_post(
        name=layout.name, encoding="iso-8859-15", date_format="%d%m%Y", skip_rows=2))
    assert response.status_code == 302
    layout.refresh_from_db()
    assert (layout.encoding, layout.date_format, layout.skip_rows) == (
        "iso-8859-15", "%d%m%Y", 2)
