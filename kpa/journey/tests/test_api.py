"""The journey's REST API: a whole journey through the API alone, bad input refused in French
with nothing written, 404 for whoever is out of reach, 403 for a visible object one may not
change, fixed query counts on the lists, and the routes in the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.test import Client

from conftest import SECRET_MARKER, TODAY, Cast
from kpa.core import dates
from kpa.core.models import AuditEvent
from kpa.core.services import create_api_token
from kpa.directory.models import Person, Role, RoleKind
from kpa.journey import contracts, services
from kpa.journey.models import (
    CareerStep,
    Contract,
    DocumentRequirement,
    InsuranceEntry,
    InsuranceList,
    Journey,
    JourneyDocument,
    JourneyStatus,
)
from kpa.journey.tests.conftest import (
    VALID_IBAN,
    activate,
    insure,
    issue,
    pdf_bytes,
    png_bytes,
    register,
    validate,
)

API = "/api/v1/journey"
ApiClient = Callable[[str], Client]


@dataclass
class Clock:
    today: dt.date = TODAY


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The API's today, which a test may move forward (renewals, exits)."""
    frozen = Clock()
    monkeypatch.setattr(dates, "local_today", lambda: frozen.today)
    return frozen


def client_of(user: User) -> Client:
    _, secret = create_api_token(actor=None, user=user)
    return Client(headers={"Authorization": f"Bearer {secret}"})


@pytest.fixture
def api(cast: Cast) -> ApiClient:
    """`api("referent")` is a client carrying a fresh bearer token of that persona."""

    def client_for(persona: str) -> Client:
        return client_of(cast.user(persona))

    return client_for


def post_json(client: Client, url: str, data: Any = None) -> Any:
    return client.post(url, json.dumps({} if data is None else data),
                       content_type="application/json")


def patch_json(client: Client, url: str, data: Any) -> Any:
    return client.patch(url, json.dumps(data), content_type="application/json")


def upload(client: Client, url: str, content: bytes, **fields: Any) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(url, {**fields, "file": SimpleUploadedFile("piece.png", content)})


def messages_of(response: Any) -> dict[str, list[str]]:
    """A 422's French messages by field ("" for the whole input)."""
    assert response.status_code == 422, response.content
    found: dict[str, list[str]] = {}
    for error in response.json()["detail"]:
        field = error["loc"][-1] if len(error["loc"]) > 1 else ""
        found.setdefault(field, []).append(error["msg"])
    return found


INSCRIPTION = {
    "first_name": "Awa", "last_name": "Diallo", "email": "awa@exemple.org",
    "birth_date": "1990-05-17", "address": "3 rue des Lilas", "postcode": "59100",
    "city": "Roubaix", "iban": "FR76 3000 6000 0112 3456 7890 189",
    "receives_rsa": True, "activity_idea": "Retouches et couture sur mesure",
}


def inscription(cast: Cast, **changes: Any) -> dict[str, Any]:
    return {"kpa_id": cast.home.pk, **INSCRIPTION, **changes}


# --- The whole journey, through the API alone ------------------------------------------------


def test_a_person_goes_from_inscription_to_exit_through_the_api_alone(
    cast: Cast, api: ApiClient, clock: Clock, django_capture_on_commit_callbacks: Any,
) -> None:
    referent, gestionnaire = api("referent"), api("gestionnaire")

    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(referent, f"{API}/journeys", inscription(cast))
    assert response.status_code == 201, response.content
    body = response.json()
    journey_url = f"{API}/journeys/{body['id']}"
    assert (body["status"], body["status_label"]) == ("received", "Inscription reçue")
    assert body["iban"] == VALID_IBAN
    assert body["receives_rsa"] is True
    assert body["assisted_by_id"] == cast.referent.pk
    assert body["progress"]["next_actor"] == "la personne ou son référent·e"
    person = Person.objects.get(pk=body["person"]["id"])
    assert person.user is not None
    assert person.email == "awa@exemple.org"
    [invitation] = [m for m in mail.outbox if m.to == ["awa@exemple.org"]]
    assert "mot de passe" in invitation.body

    # The pieces: every required line of the checklist, uploaded as photos.
    required = [r for r in body["requirements"] if r["required"]]
    assert {r["kind"] for r in required} == {"identity", "address", "bank"}
    for requirement in required:
        uploaded = upload(referent, f"{journey_url}/documents", png_bytes(),
                          requirement_id=requirement["id"])
        assert uploaded.status_code == 201, uploaded.content
        assert uploaded.json()["content_type"] == "image/png"
    body = referent.get(journey_url).json()
    assert body["status"] == "complete"
    for document in body["documents"]:
        checked = post_json(referent, f"{API}/documents/{document['id']}/check",
                            {"note": "CNI n° 123, valable jusqu'au 01/01/2030"})
        assert checked.status_code == 200, checked.content
        assert checked.json()["checked_at"] is not None
    identity = next(d for d in referent.get(journey_url).json()["documents"]
                    if d["requirement_label"].startswith("Pièce d'identité"))
    assert identity["has_file"] is False  # an identity copy goes once checked

    # Only the structure's gestionnaire validates.
    assert post_json(referent, f"{journey_url}/validate").status_code == 403
    validated = post_json(gestionnaire, f"{journey_url}/validate")
    assert validated.status_code == 200, validated.content
    assert validated.json()["status"] == "validated"

    # The insurance list: prepared, sent, answered.
    created = post_json(referent, f"{API}/insurance-lists", {"kpa_id": cast.home.pk})
    assert created.status_code == 201, created.content
    insurance = created.json()
    [entry] = insurance["entries"]
    assert (entry["journey_id"], entry["answer"]) == (body["id"], "pending")
    assert entry["activity"] == "Retouches et couture sur mesure"
    list_url = f"{API}/insurance-lists/{insurance['id']}"
    sent = post_json(referent, f"{list_url}/sent", {"sent_on": "2026-11-28"})
    assert (sent.status_code, sent.json()["status"]) == (200, "sent")
    answered = post_json(referent, f"{list_url}/answer", {
        "answers": {str(entry["id"]): "accepted"}, "answered_on": "2026-11-28"})
    assert answered.status_code == 200, answered.content
    assert answered.json()["entries"][0]["answer_label"] == "Accepté"
    assert referent.get(journey_url).json()["status"] == "insured"

    # The contract: issued, read as PDF, signed by the person only.
    issued = post_json(referent, f"{journey_url}/contracts",
                       {"starts_on": "2026-11-28", "ends_on": "2027-11-28"})
    assert issued.status_code == 201, issued.content
    contract = issued.json()
    assert (contract["status"], contract["period_number"]) == ("sent", 1)
    assert (contract["ends_on"], contract["last_day"]) == ("2027-11-28", "2027-11-27")
    contract_url = f"{API}/contracts/{contract['id']}"
    pdf = referent.get(f"{contract_url}/pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert hashlib.sha256(pdf.content).hexdigest() == contract["pdf_sha256"]
    assert post_json(referent, f"{contract_url}/sign",
                     {"typed_name": "Awa Diallo"}).status_code == 403
    awa = client_of(person.user)
    signed = post_json(awa, f"{contract_url}/sign", {"typed_name": "awa  DIALLO"})
    assert signed.status_code == 200, signed.content
    assert (signed.json()["status"], signed.json()["signature_method"]) == ("signed", "platform")
    assert awa.get(journey_url).json()["status"] == "signed"

    activated = post_json(referent, f"{journey_url}/activate")
    assert activated.status_code == 200, activated.content
    assert activated.json()["status"] == "active"
    assert Role.objects.filter(person=person, kind=RoleKind.COOPERANT, kpa=cast.home).exists()

    # Two months before the end: the contract shows among those ending soon, and is renewed.
    clock.today = dt.date(2027, 10, 1)
    ending = referent.get(f"{API}/contracts", {"ending_within_days": 60}).json()
    assert [c["id"] for c in ending["items"]] == [contract["id"]]
    renewed = post_json(referent, f"{contract_url}/renew", {"ends_on": "2028-11-28"})
    assert renewed.status_code == 201, renewed.content
    renewal = renewed.json()
    assert (renewal["period_number"], renewal["starts_on"]) == (2, "2027-11-28")
    assert referent.get(contract_url).json()["decision"] == "renew"
    assert post_json(awa, f"{API}/contracts/{renewal['id']}/sign",
                     {"typed_name": "Awa Diallo"}).status_code == 200

    clock.today = dt.date(2028, 6, 30)
    exited = post_json(referent, f"{journey_url}/exit", {
        "exited_on": "2028-06-30", "exit_kind": "employment",
        "destination": "Boulangerie du coin"})
    assert exited.status_code == 200, exited.content
    body = exited.json()
    assert (body["status"], body["exit_kind_label"]) == ("ended", "Emploi")
    assert body["treasury_payout_pending"] is True
    assert [s["kind"] for s in body["steps"]] == ["cape", "renewal", "exit"]
    assert [c["status"] for c in body["contracts"]] == ["signed", "signed"]

    exported = awa.get(f"{journey_url}/export")
    assert exported.status_code == 200
    [data] = exported.json()["journeys"]
    assert [c["ends_on_exclusive"] for c in data["contracts"]] == ["2027-11-28", "2028-11-28"]
    assert AuditEvent.objects.filter(action="journey.person_data.exported").count() == 1


# --- Inscription -----------------------------------------------------------------------------


def test_a_logged_in_person_registers_themself_and_nobody_else(
    cast: Cast, api: ApiClient,
) -> None:
    response = post_json(api("cooperant"), f"{API}/journeys",
                         inscription(cast, first_name="Quelqu'un", last_name="D'autre"))
    assert response.status_code == 201, response.content
    journey = Journey.objects.get(pk=response.json()["id"])
    assert journey.person == cast.cooperant
    assert journey.assisted_by is None
    assert not Person.objects.filter(last_name="D'autre").exists()


def test_a_referent_registers_a_known_person_with_them(cast: Cast, api: ApiClient) -> None:
    response = post_json(api("referent"), f"{API}/journeys",
                         inscription(cast, person_id=cast.quiet_cooperant.pk, email=""))
    assert response.status_code == 201, response.content
    assert response.json()["person"]["id"] == cast.quiet_cooperant.pk
    assert response.json()["assisted_by_id"] == cast.referent.pk


def test_nobody_registers_a_person_they_cannot_see_or_into_a_closed_kpa(
    cast: Cast, api: ApiClient,
) -> None:
    outsider = api("outsider")
    someone_else = post_json(outsider, f"{API}/journeys",
                             inscription(cast, person_id=cast.cooperant.pk))
    assert someone_else.status_code == 404
    cast.elsewhere.status = "closed"
    cast.elsewhere.save()
    closed = post_json(api("cooperant"), f"{API}/journeys",
                       inscription(cast, kpa_id=cast.elsewhere.pk))
    assert closed.status_code == 404
    assert not Journey.objects.exists()


BAD_INSCRIPTIONS = [
    pytest.param({"birth_date": "2011-06-01"}, "birth_date", "à partir de 16 ans",
                 id="fifteen-years-old"),
    pytest.param({"iban": "FR7630006000011234567890180"}, "iban", "IBAN n'est pas valide",
                 id="wrong-iban"),
    pytest.param({"birth_date": None}, "birth_date", "Indiquez la date de naissance",
                 id="no-birth-date"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_INSCRIPTIONS)
def test_a_bad_inscription_answers_422_in_french_and_writes_nothing(
    cast: Cast, api: ApiClient, change: dict[str, Any], field: str, message: str,
) -> None:
    people, users = Person.objects.count(), User.objects.count()
    response = post_json(api("referent"), f"{API}/journeys", inscription(cast, **change))
    assert any(message in text for text in messages_of(response)[field]), response.json()
    assert not Journey.objects.exists()
    assert (Person.objects.count(), User.objects.count()) == (people, users)
    assert mail.outbox == []


def test_junk_input_answers_422_never_500(cast: Cast, api: ApiClient) -> None:
    client = api("referent")
    for change in ({"birth_date": "1990-02-30"}, {"kpa_id": "abc"}, {"receives_rsa": "peut-être"}):
        response = post_json(client, f"{API}/journeys", inscription(cast, **change))
        assert response.status_code == 422, change
    assert client.post(f"{API}/journeys", "{pas du json",
                       content_type="application/json").status_code == 422
    assert not Journey.objects.exists()


def test_the_person_corrects_their_inscription_and_a_wrong_iban_changes_nothing(
    cast: Cast, api: ApiClient, journey: Journey,
) -> None:
    client = api("referent")
    url = f"{API}/journeys/{journey.pk}"
    changed = patch_json(client, url, {"city": "Tourcoing", "lives_in_qpv": True})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["city"], changed.json()["lives_in_qpv"]) == ("Tourcoing", True)
    assert changed.json()["iban"] == VALID_IBAN  # not sent, not changed
    refused = patch_json(client, url, {"iban": "FR00 1234", "city": "Lille"})
    assert "iban" in messages_of(refused)
    journey.refresh_from_db()
    assert (journey.city, journey.iban) == ("Tourcoing", VALID_IBAN)


# --- Pieces ----------------------------------------------------------------------------------


def identity_of(journey: Journey) -> DocumentRequirement:
    return journey.structure.document_requirements.get(kind=DocumentRequirement.Kind.IDENTITY)


def test_a_40_mb_upload_is_refused_in_french_before_being_read(
    cast: Cast, api: ApiClient, journey: Journey, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def never(*args: object) -> bytes:
        raise AssertionError("a refused upload must not be read")

    monkeypatch.setattr(TemporaryUploadedFile, "read", never, raising=False)
    huge = b"%PDF-1.4\n" + b"0" * (40 * 1024 * 1024)
    response = upload(api("referent"), f"{API}/journeys/{journey.pk}/documents", huge,
                      requirement_id=identity_of(journey).pk)
    assert any("10 Mo au plus" in text for text in messages_of(response)["file"])
    assert not JourneyDocument.objects.exists()


@pytest.mark.parametrize("content", [
    pytest.param(b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, id="windows-executable"),
    pytest.param(b"\x7fELF\x02\x01\x01" + b"\x00" * 200, id="linux-executable"),
    pytest.param(b"", id="empty"),
])
def test_an_executable_or_empty_upload_is_refused_in_french(
    cast: Cast, api: ApiClient, journey: Journey, content: bytes,
) -> None:
    response = upload(api("referent"), f"{API}/journeys/{journey.pk}/documents", content,
                      requirement_id=identity_of(journey).pk)
    [message] = messages_of(response)["file"]
    assert "PDF" in message or "vide" in message
    assert not JourneyDocument.objects.exists()


def test_a_piece_another_structure_asks_for_is_refused(
    cast: Cast, api: ApiClient, journey: Journey,
) -> None:
    elsewhere = services.add_requirement(actor=cast.user("admin"), structure=cast.other_structure,
                                         kind="other", label="Pièce d'ailleurs", today=TODAY)
    response = upload(api("referent"), f"{API}/journeys/{journey.pk}/documents", png_bytes(),
                      requirement_id=elsewhere.pk)
    assert messages_of(response)["requirement_id"] == ["Cette pièce n'est pas demandée ici."]
    assert not JourneyDocument.objects.exists()


def test_the_person_uploads_their_own_pieces_but_a_fellow_cooperant_cannot_see_them(
    cast: Cast, api: ApiClient,
) -> None:
    journey = register(cast, email="awa@exemple.org")
    assert journey.person.user is not None
    url = f"{API}/journeys/{journey.pk}/documents"
    own = upload(client_of(journey.person.user), url, png_bytes(),
                 requirement_id=identity_of(journey).pk)
    assert own.status_code == 201, own.content
    assert upload(api("cooperant"), url, png_bytes(),
                  requirement_id=identity_of(journey).pk).status_code == 404
    assert JourneyDocument.objects.count() == 1


def test_an_identity_piece_needs_a_note_before_it_is_checked(
    cast: Cast, api: ApiClient, journey: Journey,
) -> None:
    document = services.upload_document(actor=cast.user("referent"), journey=journey,
                                        requirement=identity_of(journey), content=png_bytes(),
                                        today=TODAY)
    response = post_json(api("referent"), f"{API}/documents/{document.pk}/check", {"note": " "})
    assert "numéro" in messages_of(response)["note"][0]
    document.refresh_from_db()
    assert document.checked_at is None
    assert document.has_file


# --- Contracts: the CAPE rules ---------------------------------------------------------------


@pytest.mark.parametrize(("dates_sent", "message"), [
    pytest.param({"starts_on": "2026-11-28", "ends_on": "2027-12-28"}, "12 mois au plus",
                 id="thirteen-months"),
    pytest.param({"starts_on": "2026-12-10", "ends_on": "2026-12-01"},
                 "La fin doit venir après le début", id="inverted-dates"),
])
def test_a_bad_period_answers_422_in_french_and_issues_nothing(
    cast: Cast, api: ApiClient, journey: Journey, dates_sent: dict[str, str], message: str,
) -> None:
    insure(cast, journey)
    response = post_json(api("referent"), f"{API}/journeys/{journey.pk}/contracts", dates_sent)
    assert any(message in text for text in messages_of(response)["ends_on"])
    assert not Contract.objects.exists()
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.INSURED


def test_a_fourth_period_is_refused_in_french(cast: Cast, api: ApiClient, clock: Clock,
                                              journey: Journey) -> None:
    activate(cast, journey)
    referent = cast.user("referent")
    contract = journey.contracts.get()
    for ends_on, today in ((dt.date(2028, 11, 28), dt.date(2027, 10, 1)),
                           (dt.date(2029, 11, 28), dt.date(2028, 10, 1))):
        contract = contracts.renew_contract(actor=referent, contract=contract, ends_on=ends_on,
                                            today=today)
        contracts.upload_signed_copy(actor=referent, contract=contract, content=pdf_bytes(),
                                     today=today)
    clock.today = dt.date(2029, 10, 1)
    response = post_json(api("referent"), f"{API}/contracts/{contract.pk}/renew",
                         {"ends_on": "2030-11-28"})
    assert any("renouvelé deux fois" in text for text in messages_of(response)[""])
    assert Contract.objects.count() == 3


def test_nobody_starts_before_the_insurer_said_yes(cast: Cast, api: ApiClient,
                                                   journey: Journey) -> None:
    validate(cast, journey)
    response = post_json(api("referent"), f"{API}/journeys/{journey.pk}/activate")
    assert any("assureur n'a pas encore dit oui" in text for text in messages_of(response)[""])
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.VALIDATED
    assert not Role.objects.filter(person=journey.person, kind=RoleKind.COOPERANT).exists()


def test_an_insurance_answer_must_cover_every_line(cast: Cast, api: ApiClient,
                                                   journey: Journey) -> None:
    validate(cast, journey)
    client = api("referent")
    created = post_json(client, f"{API}/insurance-lists", {"kpa_id": cast.home.pk}).json()
    url = f"{API}/insurance-lists/{created['id']}"
    post_json(client, f"{url}/sent", {})
    entry_id = created["entries"][0]["id"]
    for answers in ({}, {str(entry_id): "peut-être"}, {str(entry_id + 1000): "accepted"}):
        response = post_json(client, f"{url}/answer", {"answers": answers})
        assert any("chaque personne" in text for text in messages_of(response)[""]), answers
    assert InsuranceEntry.objects.get(pk=entry_id).answer == InsuranceEntry.Answer.PENDING
    assert InsuranceList.objects.get(pk=created["id"]).status == InsuranceList.Status.SENT


def test_a_contract_not_signed_in_time_is_reissued_and_the_old_one_kept_void(
    cast: Cast, api: ApiClient, clock: Clock, journey: Journey,
) -> None:
    old = issue(cast, journey)
    clock.today = TODAY + dt.timedelta(days=3)
    client = api("referent")
    response = post_json(client, f"{API}/contracts/{old.pk}/reissue",
                         {"starts_on": "2026-12-07", "ends_on": "2027-12-07"})
    assert response.status_code == 201, response.content
    new = response.json()
    assert (new["replaces_id"], new["starts_on"], new["status"]) == (old.pk, "2026-12-07", "sent")
    assert client.get(f"{API}/contracts/{old.pk}").json()["status"] == "void"


def test_the_referent_files_a_signed_paper_copy_and_records_the_decision(
    cast: Cast, api: ApiClient, journey: Journey,
) -> None:
    contract = issue(cast, journey)
    client = api("referent")
    signed = upload(client, f"{API}/contracts/{contract.pk}/signed-copy", pdf_bytes())
    assert signed.status_code == 200, signed.content
    assert signed.json()["signature_method"] == "scan"
    contracts.activate(actor=cast.user("referent"), journey=journey, today=TODAY)
    decided = post_json(client, f"{API}/contracts/{contract.pk}/decision", {"decision": "cesa"})
    assert (decided.status_code, decided.json()["decision_label"]) == (200, "Passer en CESA")
    refused = post_json(client, f"{API}/contracts/{contract.pk}/decision", {"decision": "renew"})
    assert "decision" in messages_of(refused)


def test_a_diagnostic_step_is_added_and_other_kinds_are_refused(
    cast: Cast, api: ApiClient, journey: Journey,
) -> None:
    client = api("referent")
    url = f"{API}/journeys/{journey.pk}/steps"
    added = post_json(client, url, {"on": "2026-11-20", "note": "Premier rendez-vous"})
    assert added.status_code == 201, added.content
    assert (added.json()["kind"], added.json()["kind_label"]) == ("diagnostic", "Diagnostic")
    assert "kind" in messages_of(post_json(client, url, {"kind": "cape", "on": "2026-11-20"}))
    assert "on" in messages_of(post_json(client, url, {"on": "2026-12-20"}))
    assert CareerStep.objects.count() == 1


def test_an_exit_with_an_unknown_kind_is_refused(cast: Cast, api: ApiClient,
                                                 journey: Journey) -> None:
    response = post_json(api("referent"), f"{API}/journeys/{journey.pk}/exit",
                         {"exited_on": "2026-11-28", "exit_kind": "vacances"})
    assert "exit_kind" in messages_of(response)
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.RECEIVED


# --- Reach: 404 out of reach, 403 for what one sees but may not change -----------------------


@pytest.fixture
def everything(cast: Cast) -> dict[str, int]:
    """One of each object: a journey with pieces, an insurance list, a contract."""
    journey = register(cast)
    contract = issue(cast, journey)
    return {"journey": journey.pk, "contract": contract.pk,
            "document": journey.documents.first().pk,  # type: ignore[union-attr]
            "list": InsuranceList.objects.get().pk}


def object_routes(ids: dict[str, int]) -> list[tuple[str, str, Any]]:
    journey, contract = f"{API}/journeys/{ids['journey']}", f"{API}/contracts/{ids['contract']}"
    insurance = f"{API}/insurance-lists/{ids['list']}"
    return [
        ("get", journey, None), ("patch", journey, {"city": "Lille"}),
        ("upload", f"{journey}/documents", {"requirement_id": 1}),
        ("post", f"{API}/documents/{ids['document']}/check", {"note": "vu"}),
        ("get", f"{journey}/export", None), ("post", f"{journey}/validate", {}),
        ("post", f"{journey}/activate", {}),
        ("post", f"{journey}/exit", {"exited_on": "2026-11-28", "exit_kind": "none"}),
        ("post", f"{journey}/steps", {"on": "2026-11-28"}),
        ("post", f"{journey}/contracts", {"starts_on": "2026-12-01", "ends_on": "2027-12-01"}),
        ("get", insurance, None), ("post", f"{insurance}/sent", {}),
        ("post", f"{insurance}/answer", {"answers": {}}),
        ("get", contract, None), ("get", f"{contract}/pdf", None),
        ("post", f"{contract}/sign", {"typed_name": "Awa Diallo"}),
        ("upload", f"{contract}/signed-copy", {}),
        ("post", f"{contract}/reissue", {"starts_on": "2026-12-01", "ends_on": "2027-12-01"}),
        ("post", f"{contract}/renew", {"ends_on": "2028-11-28"}),
        ("post", f"{contract}/decision", {"decision": "exit"}),
    ]


def send(client: Client, method: str, url: str, data: Any) -> Any:
    if method == "get":
        return client.get(url)
    if method == "patch":
        return patch_json(client, url, data)
    if method == "upload":
        return upload(client, url, pdf_bytes(), **data)
    return post_json(client, url, data)


@pytest.mark.parametrize("persona", ["outsider", "comptable", "coordinateur", "cooperant"])
def test_whoever_is_out_of_reach_gets_404_on_every_object_and_writes_nothing(
    cast: Cast, api: ApiClient, everything: dict[str, int], persona: str,
) -> None:
    client = api(persona)
    audit_before = AuditEvent.objects.count()
    routes = object_routes(everything)
    assert len(routes) == 20
    for method, url, data in routes:
        response = send(client, method, url, data)
        assert response.status_code == 404, (method, url, response.content)
        assert response.json() == {"detail": "Introuvable."}
    assert post_json(client, f"{API}/insurance-lists",
                     {"kpa_id": cast.home.pk}).status_code == 404
    for path in ("journeys", "contracts", "insurance-lists"):
        listed = client.get(f"{API}/{path}")
        assert listed.json()["count"] == 0, path
        assert SECRET_MARKER not in listed.content.decode()
    assert AuditEvent.objects.count() == audit_before


def test_unknown_ids_answer_404_json(api: ApiClient) -> None:
    client = api("admin")
    for path in ("journeys", "contracts", "insurance-lists"):
        for missing in ("987654", "9" * 30):
            response = client.get(f"{API}/{path}/{missing}")
            assert response.status_code == 404, (path, missing)
            assert response.json() == {"detail": "Introuvable."}


def test_an_accompagnateur_sees_a_journey_but_may_not_move_it_forward(
    cast: Cast, api: ApiClient, journey: Journey,
) -> None:
    client = api("accompagnateur")
    url = f"{API}/journeys/{journey.pk}"
    assert client.get(url).status_code == 200
    for response in (post_json(client, f"{url}/validate"),
                     post_json(client, f"{url}/exit",
                               {"exited_on": "2026-11-28", "exit_kind": "none"}),
                     upload(client, f"{url}/documents", png_bytes(),
                            requirement_id=identity_of(journey).pk),
                     client.get(f"{url}/export"),
                     post_json(client, f"{API}/insurance-lists", {"kpa_id": cast.home.pk})):
        assert response.status_code == 403, response.content
        assert response.json() == {"detail": "Vous n'avez pas le droit de faire cela ici."}
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.RECEIVED
    assert not journey.documents.exists()


def test_without_a_token_the_journey_api_answers_401(cast: Cast, journey: Journey) -> None:
    assert Client().get(f"{API}/journeys/{journey.pk}").status_code == 401
    assert post_json(Client(), f"{API}/journeys", inscription(cast)).status_code == 401


def test_lists_filter_by_kpa_and_status(cast: Cast, api: ApiClient) -> None:
    first = register(cast)
    validate(cast, first)
    second = register(cast, first_name="Binta", last_name="Sow")
    client = api("gestionnaire")
    statuses = {j["id"]: j["status"] for j in client.get(f"{API}/journeys").json()["items"]}
    assert statuses == {first.pk: "validated", second.pk: "received"}
    only = client.get(f"{API}/journeys", {"status": "received", "kpa": cast.home.pk}).json()
    assert [j["id"] for j in only["items"]] == [second.pk]
    assert client.get(f"{API}/journeys", {"kpa": cast.elsewhere.pk}).json()["count"] == 0
    assert client.get(f"{API}/journeys", {"status": "perdu"}).status_code == 422
    item = only["items"][0]
    assert not {"iban", "birth_date"} & set(item)  # personal fields: in the detail only
    assert item["progress"]["missing"]


# --- Query counts ----------------------------------------------------------------------------


def crowd(cast: Cast, count: int) -> None:
    for n in range(count):
        journey = register(cast, first_name=f"Personne{n}", last_name="Nombreuse")
        activate(cast, journey)


LIST_QUERIES = {
    # token, last use, reach (2), count, page, then the prefetches the progress reads
    "journeys": 10,
    "contracts": 6,
    "insurance-lists": 6,
}


@pytest.mark.parametrize("path", list(LIST_QUERIES))
def test_list_endpoints_run_a_fixed_number_of_queries(
    cast: Cast, api: ApiClient, django_assert_num_queries: Any, path: str,
) -> None:
    crowd(cast, 1)
    client = api("referent")
    with django_assert_num_queries(LIST_QUERIES[path]):
        few = client.get(f"{API}/{path}")
    crowd(cast, 4)
    client = api("referent")  # a fresh token: its first use is written, the worst case
    with django_assert_num_queries(LIST_QUERIES[path]):
        many = client.get(f"{API}/{path}")
    assert many.json()["count"] > few.json()["count"] >= 1


def test_a_journey_detail_costs_the_same_however_far_the_journey_went(
    cast: Cast, api: ApiClient, django_assert_num_queries: Any,
) -> None:
    fresh, far = register(cast), register(cast, first_name="Binta", last_name="Sow")
    activate(cast, far)
    client = api("referent")
    client.get(f"{API}/journeys")  # the token's first use is written once
    # token, reach (2), the journey, its pieces, checklist, contracts, insurance lines, steps
    with django_assert_num_queries(9):
        assert client.get(f"{API}/journeys/{fresh.pk}").status_code == 200
    with django_assert_num_queries(9):
        body = client.get(f"{API}/journeys/{far.pk}").json()
    assert len(body["documents"]) == 3
    assert len(body["contracts"]) == 1


# --- OpenAPI ---------------------------------------------------------------------------------


def test_the_openapi_document_lists_the_journey_routes(cast: Cast) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    paths = set(schema["paths"])
    expected = {
        "journeys", "journeys/{journey_id}", "journeys/{journey_id}/documents",
        "documents/{document_id}/check", "journeys/{journey_id}/export",
        "journeys/{journey_id}/validate", "journeys/{journey_id}/activate",
        "journeys/{journey_id}/exit", "journeys/{journey_id}/steps",
        "journeys/{journey_id}/contracts", "insurance-lists", "insurance-lists/{list_id}",
        "insurance-lists/{list_id}/sent", "insurance-lists/{list_id}/answer", "contracts",
        "contracts/{contract_id}", "contracts/{contract_id}/sign",
        "contracts/{contract_id}/reissue", "contracts/{contract_id}/renew",
        "contracts/{contract_id}/pdf", "contracts/{contract_id}/signed-copy",
        "contracts/{contract_id}/decision",
    }
    assert {f"{API}/{path}" for path in expected} <= paths
    contract_in = schema["components"]["schemas"]["ContractIn"]["properties"]
    assert "fin exclue" in contract_in["ends_on"]["description"]
    pdf = schema["paths"][f"{API}/contracts/{{contract_id}}/pdf"]["get"]["responses"]["200"]
    assert "application/pdf" in pdf["content"]
