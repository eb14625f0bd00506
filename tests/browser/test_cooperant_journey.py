"""Issue 4's "Done when", in a real browser: a référent brings a person from the inscription
form to an active, signed CAPE, through a renewal, to an exit.

The référent fills the inscription with the person (assisted mode), files and checks the pieces;
the gestionnaire validates; the référent prepares the insurance list and records the insurer's
yes, issues the CAPE; the person chooses a password from the invitation e-mail and signs in the
platform; the référent starts the activity, renews, the person signs the renewal, and the
référent records the exit. The live server's day is the real day, so every date is relative to
it: the contract starts today and the renewal when the first period ends (signing a future
contract is allowed); for the exit, the test moves the live server's day four months into the
renewal.

Run alone with `KPA_REQUIRE_BROWSER=1 .venv/bin/pytest -q tests/browser/test_cooperant_journey.py`;
screenshots land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from PIL import Image

from kpa.core import dates
from kpa.core.models import AuditEvent
from kpa.directory.models import Role, RoleKind
from kpa.journey.models import Contract, Journey, JourneyStatus
from tests.browser.conftest import Cast, field, log_in, no_sideways_scroll

pytestmark = pytest.mark.browser

PHONE, DESKTOP = 360, 1280
FIRST, LAST = "Nadia", "Kessab-Ferreira"
FULL_NAME = f"{FIRST} {LAST}"
EMAIL = "nadia.kessab@example.org"
IBAN = "FR7630006000011234567890189"
NEW_PASSWORD = "Couture-a-Roubaix-2026"
IDENTITY = "Pièce d'identité (carte, passeport, titre de séjour)"
ADDRESS = "Justificatif de domicile de moins de 3 mois"
BANK = "RIB à votre nom"


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def shot(page: Any, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"cooperant-{name}.png"), full_page=True)


def status_of_journey(page: Any) -> Any:
    return page.get_by_role("region", name="Où en est le parcours").locator(".status")


def says(page: Any, text: str) -> None:
    expect(page.get_by_role("status")).to_contain_text(text)


def log_out(page: Any) -> None:
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")


def open_journey(page: Any) -> None:
    """From anywhere, as staff: the "Parcours" board, then the person's line."""
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Parcours", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau des parcours")
    page.get_by_role("link", name=FULL_NAME, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(FULL_NAME)


def piece_card(page: Any, label: str) -> Any:
    return page.locator("ul.pieces > li.card").filter(
        has=page.get_by_role("heading", level=3, name=re.compile(rf"^{re.escape(label)}")))


def sign_on_a_phone(page: Any, screenshots: Path, *, kpa_name: str, button: str,
                    name: str) -> None:
    """The person opens "Mon parcours" on a phone and signs the contract waiting there."""
    page.set_viewport_size({"width": PHONE, "height": 780})
    page.get_by_role("link", name="Mon parcours", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon parcours")
    expect(page.get_by_role("heading", level=2, name=kpa_name)).to_be_visible()
    no_sideways_scroll(page, f"'Mon parcours' before signing ({name})")
    shot(page, screenshots, f"mon-parcours-{name}-{PHONE}")

    page.get_by_role("link", name=button).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Signer mon contrat CAPE")
    sha_on_page = page.locator("code.sha256").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", sha_on_page), sha_on_page
    field(page, "Tapez votre prénom et votre nom").fill(f"  {FIRST.lower()}  {LAST} ")
    field(page, "J'ai lu le contrat et je le signe").check()
    no_sideways_scroll(page, f"the signing page ({name})")
    shot(page, screenshots, f"signer-{name}-{PHONE}")
    page.get_by_role("button", name="Signer le contrat").click()

    says(page, "Merci : votre contrat est signé")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Signé sur la plateforme")
    expect(facts).to_contain_text(f"nom tapé : « {FIRST.lower()} {LAST} »")
    no_sideways_scroll(page, f"the signed contract ({name})")
    page.set_viewport_size({"width": DESKTOP, "height": 900})


def pdf_text(page: Any, href: str) -> str:
    from pypdf import PdfReader

    response = page.request.get(href)
    assert response.ok, f"{href} answered {response.status}"
    assert response.headers["content-type"] == "application/pdf"
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)


def post_as_the_browser(page: Any, path: str) -> Any:
    """A form-less POST with the browser's session and CSRF cookie, as a crafted request."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    return page.request.post(path, headers={"X-CSRFToken": token},
                             form={"csrfmiddlewaretoken": token}, max_redirects=0)


def png_file(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    Image.new("RGB", (8, 8), "white").save(path, format="PNG")
    return path


def test_a_referent_brings_a_person_from_inscription_to_exit_in_the_browser(
        page: Any, browser_cast: Cast, screenshots: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    kpa = browser_cast.home

    # 1. The référent fills the inscription with the person, on a phone.
    log_in(page, "referent")
    page.get_by_role("link", name="Parcours", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau des parcours")
    page.get_by_role("link", name="Inscrire une personne").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("S'inscrire dans un KPA")
    page.get_by_role("link", name=f"S'inscrire au {kpa.name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"S'inscrire au {kpa.name}")
    expect(page.get_by_text("c'est une inscription accompagnée")).to_be_visible()

    page.set_viewport_size({"width": PHONE, "height": 780})
    field(page, "Prénom").fill(FIRST)
    field(page, "Nom").fill(LAST)
    field(page, "Date de naissance").fill("1990-05-17")
    field(page, "E-mail (facultatif)").fill(EMAIL)
    field(page, "Téléphone (facultatif)").fill("06 12 34 56 78")
    field(page, "Adresse (numéro et rue)").fill("3 rue des Lilas")
    field(page, "Code postal").fill("59100")
    field(page, "Ville").fill("Roubaix")
    field(page, "IBAN").fill(IBAN)
    answers = {
        "Êtes-vous inscrit·e à France Travail ?": "Oui",
        "Touchez-vous l'ARE (allocation chômage) ?": "Non",
        "Touchez-vous le RSA ?": "Oui",
        "Habitez-vous un quartier prioritaire (QPV) ?": "Oui",
    }
    for question, answer in answers.items():
        page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()
    field(page, "Que voulez-vous faire ?").fill("Couture et retouches sur mesure")
    field(page, "J'ai lu à quoi servent mes données").check()
    no_sideways_scroll(page, "the inscription form")
    shot(page, screenshots, f"inscription-{PHONE}")
    page.get_by_role("button", name="Envoyer mon inscription").click()

    says(page, f"{FULL_NAME} est inscrit·e au {kpa.name}")
    expect(status_of_journey(page)).to_have_text("Inscription reçue")
    expect(page.get_by_text("inscription faite avec Referent")).to_be_visible()
    no_sideways_scroll(page, "the journey page")
    page.set_viewport_size({"width": DESKTOP, "height": 900})
    journey = Journey.objects.select_related("person__user").get(person__email=EMAIL)
    assert journey.assisted_by == browser_cast.referent
    assert journey.iban == IBAN
    assert journey.receives_rsa is True
    assert journey.receives_ass is None  # left at "je ne sais pas"

    # 2. Every required piece, uploaded from the journey page; then each one is checked.
    upload = page.locator("form").filter(
        has=page.get_by_role("heading", name="Déposer une pièce"))
    for label in (IDENTITY, ADDRESS, BANK):
        field(upload, "Quelle pièce ?").select_option(label=label)
        field(upload, "Choisir un fichier").set_input_files(png_file(tmp_path, label[:8]))
        upload.get_by_role("button", name="Envoyer la pièce").click()
        says(page, f"La pièce « {label} » est déposée")
    expect(status_of_journey(page)).to_have_text("Dossier complet")
    expect(page.get_by_role("button", name="Valider l'inscription")).to_have_count(0)
    # Not even by hand: the référent's POST is refused as if the page did not exist.
    refused = post_as_the_browser(page, f"/parcours/{journey.pk}/valider/")
    assert refused.status == 404
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.COMPLETE

    identity = piece_card(page, IDENTITY)
    identity.get_by_label(re.compile(r"^Note de vérification")).fill(
        "Carte d'identité n° 123456789, valable jusqu'au 12/03/2031")
    identity.get_by_role("button", name="Marquer comme vérifiée").click()
    says(page, "La copie est supprimée")
    expect(piece_card(page, IDENTITY)).to_contain_text("copie supprimée le")
    expect(piece_card(page, IDENTITY)).to_contain_text("« Carte d'identité n° 123456789")
    expect(piece_card(page, IDENTITY).get_by_role("link", name=re.compile("télécharger"))
           ).to_have_count(0)
    for label in (ADDRESS, BANK):
        piece_card(page, label).get_by_role("button", name="Marquer comme vérifiée").click()
        says(page, "Pièce vérifiée.")
        expect(piece_card(page, label)).to_contain_text("✓ vérifiée")
    shot(page, screenshots, "pieces-verifiees")
    log_out(page)

    # 3. Only the gestionnaire validates the inscription for the structure.
    log_in(page, "gestionnaire")
    open_journey(page)
    page.get_by_role("button", name="Valider l'inscription").click()
    says(page, "L'inscription est validée")
    expect(status_of_journey(page)).to_have_text("Validé par la structure")
    log_out(page)

    # 4. The insurance list: prepared, sent, and the insurer's yes.
    log_in(page, "referent")
    page.get_by_role("link", name="Parcours", exact=True).click()
    page.get_by_role("link", name="Fiches navettes d'assurance").click()
    creator = page.locator("li.card").filter(has=page.get_by_role("heading", name=kpa.name))
    expect(creator).to_contain_text("1 personne à assurer.")
    creator.get_by_role("button", name=f"Préparer la fiche du {kpa.name}").click()
    says(page, "La fiche navette est prête")
    expect(page.get_by_role("row").filter(has_text=FULL_NAME)).to_contain_text(
        "Couture et retouches sur mesure")
    csv = page.request.get(page.url + "?format=csv")
    assert csv.ok
    assert LAST in csv.text()
    page.get_by_role("button", name="Marquer comme envoyée").click()
    says(page, "La fiche est notée comme envoyée")
    page.get_by_role("link", name="Noter la réponse de l'assureur").click()
    page.get_by_role("group", name=re.compile(rf"^{re.escape(FULL_NAME)} — ")).get_by_label(
        "Accepté·e").check()
    page.get_by_role("button", name="Enregistrer la réponse").click()
    says(page, "La réponse de l'assureur est notée")
    expect(page.get_by_role("row").filter(has_text=FULL_NAME)).to_contain_text("Accepté")
    page.get_by_role("link", name=FULL_NAME, exact=True).click()
    expect(status_of_journey(page)).to_have_text("Assuré")

    # 5. The CAPE, from today for twelve months (the form's defaults).
    page.get_by_role("link", name="Émettre le contrat CAPE").click()
    page.get_by_role("button", name="Émettre le contrat").click()
    says(page, "Le contrat CAPE est émis")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Contrat CAPE de {FULL_NAME} — période 1 sur 3")
    page.get_by_role("link", name=f"Retour au parcours de {FULL_NAME}").click()
    expect(status_of_journey(page)).to_have_text("Contrat envoyé")
    shot(page, screenshots, "contrat-envoye")
    log_out(page)

    # 6. The person chooses a password from the invitation e-mail and signs in the platform.
    invitations = [m for m in mail.outbox if m.to == [EMAIL] and "Bienvenue" in m.subject]
    assert len(invitations) == 1, [(m.to, m.subject) for m in mail.outbox]
    body = invitations[0].body
    link = re.search(r"https?://\S+/compte/reset/\S+/", body)
    username = re.search(r"Votre identifiant : (\S+)", body)
    assert link, body
    assert username, body
    page.goto(link.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choisir un mot de passe")
    field(page, "Nouveau mot de passe").fill(NEW_PASSWORD)
    field(page, "Confirmation du nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe enregistré")
    log_in(page, username.group(1), NEW_PASSWORD)
    sign_on_a_phone(page, screenshots, kpa_name=kpa.name, button="Signer mon contrat",
                    name="periode-1")

    sha_shown = page.locator("code.sha256").inner_text().strip()
    contract_pdf = page.request.get(
        page.get_by_role("link", name="Le contrat (PDF)").get_attribute("href"))
    assert hashlib.sha256(contract_pdf.body()).hexdigest() == sha_shown
    certificate = pdf_text(page, page.get_by_role(
        "link", name="Le certificat de signature (PDF)").get_attribute("href"))
    assert sha_shown in re.sub(r"\s+", "", certificate), certificate
    assert "Signé sur la plateforme" in certificate
    shot(page, screenshots, "contrat-signe")
    log_out(page)

    # 7. The référent starts the activity: the person becomes a coopérant of the KPA.
    log_in(page, "referent")
    open_journey(page)
    expect(status_of_journey(page)).to_have_text("Contrat signé")
    page.get_by_role("button", name="Démarrer l'activité").click()
    says(page, f"{FULL_NAME} commence son activité")
    expect(status_of_journey(page)).to_have_text("En activité")
    page.get_by_role("link", name="KPA", exact=True).click()
    page.get_by_role("link", name=kpa.name, exact=True).click()
    people = page.get_by_role("region", name="Personnes")
    expect(people.get_by_role("row").filter(has_text=FULL_NAME)).to_contain_text("Coopérant·e")
    shot(page, screenshots, "cooperante-du-kpa")

    # 8. The renewal: period 2 with the default dates, signed by the person.
    open_journey(page)
    page.get_by_role("link", name="Renouveler ce contrat").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Renouveler le contrat de {FULL_NAME}")
    page.get_by_role("button", name="Renouveler et envoyer pour signature").click()
    says(page, "Le renouvellement est émis")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Contrat CAPE de {FULL_NAME} — période 2 sur 3")
    page.get_by_role("link", name=f"Retour au parcours de {FULL_NAME}").click()
    renewal_card = page.get_by_role("region", name="Contrat CAPE").locator("li.card").filter(
        has=page.get_by_role("heading", name="Période 2 sur 3 — renouvellement"))
    expect(renewal_card).to_contain_text("À signer au plus tard le")
    log_out(page)

    log_in(page, username.group(1), NEW_PASSWORD)
    sign_on_a_phone(page, screenshots, kpa_name=kpa.name, button="Signer mon renouvellement",
                    name="periode-2")
    page.get_by_role("link", name="Mon parcours", exact=True).click()
    contracts_list = page.get_by_role("region", name="Mes contrats")
    expect(contracts_list).to_contain_text("Période 1 : ")
    expect(contracts_list.get_by_role("listitem").filter(has_text="Période 2")).to_contain_text(
        "Signé")
    log_out(page)

    # 9. Four months into the renewal — the live server runs in this process and every page
    # asks `kpa.core.dates` for today, so its clock moves on — the référent records the exit to
    # a job: the journey ends and the treasury is flagged for payout.
    renewal_start = journey.contracts.get(period_number=2).starts_on
    exit_day = renewal_start + dt.timedelta(days=120)
    monkeypatch.setattr(dates, "local_today", lambda: exit_day)
    log_in(page, "referent")
    open_journey(page)
    expect(page.get_by_role("region", name="Contrat CAPE").locator("li.card").filter(
        has=page.get_by_role("heading", name="Période 2 sur 3 — renouvellement"))
    ).to_contain_text("Signé sur la plateforme")
    page.get_by_role("link", name="Enregistrer la sortie du parcours").click()
    expect(page.get_by_text("Ce qui reste sur la trésorerie individuelle")).to_be_visible()
    field(page, "Et après ?").select_option(label="Emploi")
    field(page, "Où va la personne").fill("Atelier Retouches du Nord, CDI")
    page.get_by_role("button", name="Enregistrer la sortie").click()
    says(page, f"La sortie de {FULL_NAME} est enregistrée")
    expect(status_of_journey(page)).to_have_text("Parcours terminé")
    exit_facts = page.get_by_role("region", name="Sortie")
    expect(exit_facts).to_contain_text("Emploi")
    expect(exit_facts).to_contain_text("Atelier Retouches du Nord, CDI")
    expect(exit_facts).to_contain_text("Le solde de trésorerie individuelle est à verser.")
    shot(page, screenshots, "parcours-termine")

    # The browser did it; the database confirms it.
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.ENDED
    assert journey.exit_kind == Journey.ExitKind.EMPLOYMENT
    assert journey.treasury_payout_pending
    assert journey.exited_on == exit_day
    first, renewal = journey.contracts.order_by("period_number")
    assert first.status == renewal.status == Contract.Status.SIGNED
    assert first.signature_method == renewal.signature_method == Contract.SignatureMethod.PLATFORM
    assert first.signed_by == renewal.signed_by == journey.person.user
    assert renewal.starts_on == first.ends_on
    assert first.decision == Contract.Decision.RENEW
    assert renewal.decision == Contract.Decision.EXIT
    assert Role.objects.filter(person=journey.person, kind=RoleKind.COOPERANT,
                               kpa=kpa).exists()
    actions = set(AuditEvent.objects.filter(action__startswith="journey.")
                  .values_list("action", flat=True))
    assert {
        "journey.journey.registered", "journey.document.uploaded", "journey.document.checked",
        "journey.journey.validated", "journey.insurance_list.created",
        "journey.insurance_list.sent", "journey.insurance_list.answered",
        "journey.contract.issued", "journey.contract.signed", "journey.journey.activated",
        "journey.contract.renewed", "journey.journey.exited",
    } <= actions, actions
    validated_by = AuditEvent.objects.get(action="journey.journey.validated").actor
    assert validated_by == browser_cast.gestionnaire.user


def test_a_person_alone_on_a_phone_is_told_what_to_fix_then_registered(
        page: Any, browser_cast: Cast, screenshots: Path) -> None:
    kpa = browser_cast.home
    page.set_viewport_size({"width": PHONE, "height": 780})
    page.goto("/parcours/inscription/")
    page.get_by_role("link", name=f"S'inscrire au {kpa.name}").click()
    expect(page.get_by_text("c'est une inscription accompagnée")).to_have_count(0)
    field(page, "Prénom").fill("Awa")
    field(page, "Nom").fill("Diallo")
    field(page, "Date de naissance").fill("1999-02-03")
    field(page, "E-mail (facultatif)").fill("awa.diallo@example.org")
    field(page, "Adresse (numéro et rue)").fill("12 rue de la Paix")
    field(page, "Code postal").fill("59100")
    field(page, "Ville").fill("Roubaix")
    iban = field(page, "IBAN")
    iban.fill("FR76 3000 6000 0112 3456 7890 188")  # one digit off
    page.get_by_role("button", name="Envoyer mon inscription").click()

    expect(page.get_by_role("alert")).to_be_visible()
    expect(iban).to_have_attribute("aria-invalid", "true")
    error_id = iban.get_attribute("aria-describedby").split()[-1]
    expect(page.locator(f"#{error_id}")).to_contain_text("Cet IBAN n'est pas valide")
    consent = field(page, "J'ai lu à quoi servent mes données")
    expect(consent).to_have_attribute("aria-invalid", "true")
    expect(field(page, "Ville")).to_have_value("Roubaix")  # nothing typed is lost
    no_sideways_scroll(page, "the inscription form with its errors")
    shot(page, screenshots, f"inscription-erreurs-{PHONE}")
    assert not Journey.objects.filter(person__last_name="Diallo").exists()

    iban.fill(IBAN)
    consent.check()
    page.get_by_role("button", name="Envoyer mon inscription").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Merci, votre inscription est bien reçue")
    expect(page.get_by_text("Vous allez recevoir un e-mail")).to_be_visible()
    expect(page.get_by_role("region", name="Les pièces à apporter")).to_contain_text(IDENTITY)
    no_sideways_scroll(page, "the thank-you page")
    journey = Journey.objects.get(person__last_name="Diallo")
    assert journey.status == JourneyStatus.RECEIVED
    assert journey.assisted_by is None
    assert [m.subject for m in mail.outbox if m.to == ["awa.diallo@example.org"]] == [
        f"Bienvenue au {kpa.name}"]
