"""Demo journeys: people at every step of the path in KPA Roubaix and KPA Lille-Moulins, and a
first CAPE in each of the network's other KPAs.

Built only through the journey's services, with the demo's real staff as actors (the KPA's
référent, the carrying CAE's gestionnaire) and the people themselves where they have a login
(the persona `cooperant` uploads her pieces and signs her contract in the platform). The story
is played from about ten months before `today` up to `today`: every step is run on its own day,
so the services' rules hold as they would have (a contract is issued before it starts, signed by
its start date, renewed the day it ends…), and the clock is set to that day while it runs, so that
the stamps the services take from the clock (issued, signed, "since" on the board, the audit
trail) tell the same story as the dates.

What it shows: every status from "inscription reçue" to "parcours terminé"; a first period and
renewals up to the third period; a contract ending this month with its decision still open (the
daily reminders pick it up); a late unsigned contract reissued with a new start date (the old one
kept as void); an exit to employment and an exit to a CESA; a minor of 17 with the parental
consent; people without e-mail whom the référent registers and follows; insurance lists sent,
answered, and one still awaiting the insurer. In each other KPA (Mons-en-Barœul,
Coudekerque-Branche, Boulogne-sur-Mer, La Rochelle-Mireuil) one of its coopérants, with the trade
the ledger's demo books give them, walked the whole path to a CAPE that started a few weeks ago:
active and insured, so that every KPA of the network has someone who may sell. La Rochelle's
carrying structure is an association without a gestionnaire who logs in: the platform
administrator acts for it, as in the demo books, and sets its journey policy (its insurer, who
signs, its fee) before the first inscription.

Idempotent: nothing is done when the demo network already has journeys. No e-mail leaves: the
addresses are invented, and a demo loaded on a server with a real mail backend must stay silent
(the in-platform notifications are kept, they are part of what the demo shows; they stay marked
as not e-mailed).
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from unittest import mock

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw
from schwifty import IBAN

from kpa.core import notifications
from kpa.core.auth import AnyUser
from kpa.directory.demo import NETWORK_NAME
from kpa.directory.models import Kpa, Person, Role, RoleKind, Structure
from kpa.journey import contracts, services
from kpa.journey.models import (
    Contract,
    DocumentRequirement,
    InsuranceEntry,
    InsuranceList,
    Journey,
    JourneyDocument,
)
from kpa.journey.rules import add_months

ROUBAIX = "KPA Roubaix"
LILLE = "KPA Lille-Moulins"
PERSONA = "cooperant"  # the coopérant persona's username


# -- the clock and the plan ---------------------------------------------------------------


@contextmanager
def _clock(day: dt.date, tick: int) -> Iterator[None]:
    """The services stamp times with `timezone.now()`; while a past day is played, that is
    this day's morning (one minute per step, so the steps keep their order)."""
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0))
                                 + dt.timedelta(minutes=tick))
    with mock.patch.object(timezone, "now", return_value=moment):
        yield


@dataclass
class Plan:
    """Steps to run, each on its day; `play` runs them in the order of the days."""

    today: dt.date
    steps: list[tuple[dt.date, int, Callable[[], object]]] = field(default_factory=list)

    def at(self, day: dt.date, step: Callable[[], object]) -> None:
        if day > self.today:
            raise ValueError(f"a demo step cannot happen after today: {day}")
        self.steps.append((day, len(self.steps), step))

    @property
    def first_day(self) -> dt.date:
        return min(day for day, _order, _step in self.steps)

    def play(self) -> None:
        for tick, (day, _order, step) in enumerate(sorted(self.steps, key=lambda s: s[:2])):
            if day == self.today:
                step()  # today's steps keep the real clock: nothing is stamped in the future
            else:
                with _clock(day, tick % 600):
                    step()


@dataclass(frozen=True)
class _Staff:
    """Who acts in a KPA: its référent (registers, follows, files papers) and the carrying
    structure's gestionnaire (validates). A KPA whose référent has no login is followed by the
    gestionnaire alone."""

    referent: User | None
    gestionnaire: User

    @property
    def follower(self) -> User:
        return self.referent or self.gestionnaire


# -- pieces: small generated files, a photo or a one-page PDF -----------------------------


@cache
def _photo(label: str) -> bytes:
    image = Image.new("RGB", (360, 220), (236, 240, 244))
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, 351, 211), outline=(90, 100, 120), width=3)
    draw.text((24, 30), label, fill=(30, 40, 60))
    draw.text((24, 180), "SPECIMEN - donnees fictives", fill=(160, 40, 40))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@cache
def _pdf(label: str) -> bytes:
    """A valid one-page PDF saying what the piece is (ASCII: the built-in font's encoding)."""
    text = label.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    content = (f"BT /F1 16 Tf 72 760 Td ({text}) Tj 0 -28 Td "
               f"(SPECIMEN - donnees fictives) Tj ET").encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


PIECES: dict[str, Callable[[], bytes]] = {
    DocumentRequirement.Kind.IDENTITY: lambda: _photo("Carte nationale d'identite"),
    DocumentRequirement.Kind.ADDRESS: lambda: _pdf("Justificatif de domicile"),
    DocumentRequirement.Kind.BANK: lambda: _pdf("Releve d'identite bancaire"),
    DocumentRequirement.Kind.FRANCE_TRAVAIL: lambda: _pdf("Attestation France Travail"),
    DocumentRequirement.Kind.PARENTAL_CONSENT: lambda: _pdf("Autorisation parentale"),
    DocumentRequirement.Kind.OTHER: lambda: _pdf("Piece complementaire"),
}


def _iban(seed: int) -> str:
    """A French IBAN whose RIB key and check digits are right (schwifty computes both)."""
    return str(IBAN.generate("FR", bank_code="3000600001", account_code=f"{seed:011d}").compact)


# -- one person's path ----------------------------------------------------------------------


@dataclass
class _Walk:
    """One person's path, scheduled on the plan step by step; each step calls one service on
    its day. The journey and the current contract exist once their step has run."""

    plan: Plan
    kpa: Kpa
    staff: _Staff
    journey: Journey | None = None
    contract: Contract | None = None

    @property
    def current(self) -> Journey:
        assert self.journey is not None, "register first"
        return self.journey

    @property
    def contract_now(self) -> Contract:
        assert self.contract is not None, "issue a contract first"
        return self.contract

    def register(self, day: dt.date, *, actor: AnyUser | None = None, person: Person | None = None,
                 first_name: str = "", last_name: str = "", email: str = "", phone: str = "",
                 **fields: Any) -> _Walk:
        def step() -> None:
            self.journey = services.register(
                actor=self.staff.follower if actor is None else actor, kpa=self.kpa,
                person=person, first_name=person.first_name if person else first_name,
                last_name=person.last_name if person else last_name, email=email, phone=phone,
                today=day, **fields)
        self.plan.at(day, step)
        return self

    def upload(self, day: dt.date, *kinds: str, actor: AnyUser | None = None) -> _Walk:
        """Upload the pieces of `kinds`, or every required piece when none is named."""
        def step() -> None:
            journey = self.current
            for requirement in services.requirements_for(journey, day):
                if (requirement.kind in kinds) if kinds else requirement.required:
                    services.upload_document(
                        actor=self.staff.follower if actor is None else actor, journey=journey,
                        requirement=requirement, content=PIECES[requirement.kind](), today=day)
        self.plan.at(day, step)
        return self

    def check(self, day: dt.date, identity_note: str) -> _Walk:
        def step() -> None:
            documents = (JourneyDocument.objects.filter(journey=self.current, checked_at=None)
                         .select_related("journey", "requirement").order_by("pk"))
            for document in documents:
                note = identity_note if document.requirement.is_deleted_once_checked else ""
                services.check_document(actor=self.staff.follower, document=document,
                                        note=note, today=day)
        self.plan.at(day, step)
        return self

    def validate(self, day: dt.date) -> _Walk:
        self.plan.at(day, lambda: services.validate_journey(
            actor=self.staff.gestionnaire, journey=self.current, today=day))
        return self

    def diagnostic(self, day: dt.date, note: str) -> _Walk:
        self.plan.at(day, lambda: services.add_career_step(
            actor=self.staff.follower, journey=self.current, kind="diagnostic", on=day,
            note=note, today=day))
        return self

    def issue(self, day: dt.date, *, starts_on: dt.date, ends_on: dt.date) -> _Walk:
        def step() -> None:
            self.contract = contracts.issue_contract(
                actor=self.staff.follower, journey=self.current, starts_on=starts_on,
                ends_on=ends_on, today=day)
        self.plan.at(day, step)
        return self

    def sign_scan(self, day: dt.date) -> _Walk:
        """The person signed on paper; the référent files the scan."""
        def step() -> None:
            self.contract = contracts.upload_signed_copy(
                actor=self.staff.follower, contract=self.contract_now,
                content=_pdf("Contrat CAPE signe (copie scannee)"), today=day)
        self.plan.at(day, step)
        return self

    def sign_online(self, day: dt.date, user: User) -> _Walk:
        """The person signs in the platform, typing their name."""
        def step() -> None:
            self.contract = contracts.sign_contract(
                actor=user, contract=self.contract_now,
                typed_name=self.current.person.full_name, today=day)
        self.plan.at(day, step)
        return self

    def activate(self, day: dt.date) -> _Walk:
        self.plan.at(day, lambda: contracts.activate(
            actor=self.staff.follower, journey=self.current, today=day))
        return self

    def renew(self, day: dt.date, *, ends_on: dt.date) -> _Walk:
        def step() -> None:
            self.contract = contracts.renew_contract(
                actor=self.staff.follower, contract=self.contract_now, ends_on=ends_on,
                today=day)
        self.plan.at(day, step)
        return self

    def reissue(self, day: dt.date, *, starts_on: dt.date, ends_on: dt.date) -> _Walk:
        def step() -> None:
            self.contract = contracts.reissue_contract(
                actor=self.staff.follower, contract=self.contract_now, starts_on=starts_on,
                ends_on=ends_on, today=day)
        self.plan.at(day, step)
        return self

    def exit(self, day: dt.date, kind: str, destination: str) -> _Walk:
        self.plan.at(day, lambda: contracts.record_exit(
            actor=self.staff.follower, journey=self.current, exited_on=day, exit_kind=kind,
            destination=destination, today=day))
        return self


def _insurance_round(plan: Plan, kpa: Kpa, staff: _Staff, *, sent: dt.date,
                     answered: dt.date | None) -> None:
    """A fiche navette with everyone validated in the KPA by `sent`, sent that day, and the
    insurer's yes for all on `answered` (None: the answer is still awaited)."""
    made: list[InsuranceList] = []

    def send() -> None:
        insurance_list = services.create_insurance_list(actor=staff.follower, kpa=kpa,
                                                        today=sent)
        made.append(services.mark_insurance_list_sent(
            actor=staff.follower, insurance_list=insurance_list, sent_on=sent, today=sent))

    def answer() -> None:
        assert answered is not None
        insurance_list = made[0]
        services.record_insurance_answer(
            actor=staff.follower, insurance_list=insurance_list,
            answers={entry.pk: InsuranceEntry.Answer.ACCEPTED
                     for entry in insurance_list.entries.all()},
            answered_on=answered, today=answered)

    plan.at(sent, send)
    if answered is not None:
        plan.at(answered, answer)


# -- the story ------------------------------------------------------------------------------


def _month_start(today: dt.date, months_ago: int) -> dt.date:
    """The first day of the month `months_ago` months before today's (negative: later)."""
    return add_months(today.replace(day=1), -months_ago)


def _situation(address: str, postcode: str, city: str, seed: int, *, born: dt.date,
               idea: str, france_travail: bool | None = None, rsa: bool | None = None,
               qpv: bool | None = True) -> dict[str, Any]:
    return {"birth_date": born, "address": address, "postcode": postcode, "city": city,
            "iban": _iban(seed), "activity_idea": idea,
            "france_travail_registered": france_travail, "receives_rsa": rsa,
            "lives_in_qpv": qpv}


def _cooperants(kpa: Kpa) -> list[Person]:
    """The KPA's coopérants of the demo network, persona first, then by age in the platform."""
    people = (Person.objects.filter(roles__kpa=kpa, roles__kind=RoleKind.COOPERANT)
              .select_related("user").distinct().order_by("pk"))
    return list(people)


def _plan_roubaix(plan: Plan, kpa: Kpa, staff: _Staff) -> None:
    today = plan.today

    def ms(months_ago: int, day: int = 0) -> dt.date:
        return _month_start(today, months_ago) + dt.timedelta(days=day)

    def ago(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    people = _cooperants(kpa)
    ines = next(p for p in people if p.user is not None and p.user.username == PERSONA)
    assert ines.user is not None
    others = [p for p in people if p != ines]
    # Same people, same trades as the ledger's demo books (couture, then traiteur).
    traiteur, repairer = others[0], next(p for p in others[1:] if not p.email)

    # Two coopérants since the spring, on the same insurance list: one in a renewal of five
    # months, after a first period of four, that ends this month with its decision still
    # open; one (without e-mail: the référent files everything) who left for a job.
    (_Walk(plan, kpa, staff)
     .register(ms(9, 3), person=traiteur, **_situation(
         "45 rue de Lannoy", "59100", "Roubaix", 101, born=dt.date(1979, 6, 2),
         idea="Traiteur du monde : plats à emporter et buffets pour les associations",
         france_travail=True, rsa=True))
     .upload(ms(9, 3))
     .diagnostic(ms(9, 4), "Projet traiteur : cuisine du KPA, ventes aux associations")
     .check(ms(9, 5), "Carte d'identité n° 190659123456, valable jusqu'au 14/03/2031")
     .validate(ms(9, 6))
     .issue(ms(9, 17), starts_on=ms(8), ends_on=ms(4))
     .sign_scan(ms(9, 20))
     .activate(ms(8))
     .renew(ms(5, 10), ends_on=ms(-1))
     .sign_scan(ms(5, 15)))
    (_Walk(plan, kpa, staff)
     .register(ms(9, 4), person=repairer, **_situation(
         "8 rue Jules Guesde", "59100", "Roubaix", 102, born=dt.date(1986, 11, 23),
         idea="Réparation de petit électroménager", france_travail=True))
     .upload(ms(9, 4))
     .check(ms(9, 5), "Titre de séjour n° 5900123456, valable jusqu'au 30/09/2029")
     .validate(ms(9, 6))
     .issue(ms(9, 17), starts_on=ms(8), ends_on=add_months(ms(8), 12))
     .sign_scan(ms(9, 20))
     .activate(ms(8))
     .exit(ms(1, 14), Journey.ExitKind.EMPLOYMENT,
           "CDI en atelier de maintenance chez Cycles Vandewalle, Tourcoing"))
    _insurance_round(plan, kpa, staff, sent=ms(9, 8), answered=ms(9, 15))

    # The persona: her own pieces and her own signature, in the platform.
    (_Walk(plan, kpa, staff)
     .register(ms(3, 2), person=ines, **_situation(
         "17 rue de l'Épeule", "59100", "Roubaix", 103, born=dt.date(1992, 2, 9),
         idea="Couture et retouches : ourlets, fermetures, vêtements sur mesure",
         france_travail=True, rsa=False))
     .upload(ms(3, 3), actor=ines.user)
     .check(ms(3, 4), "Carte d'identité n° 140259987654, valable jusqu'au 02/07/2032")
     .validate(ms(3, 5))
     .diagnostic(ms(3, 5), "Atelier couture partagé, trois jours par semaine")
     .issue(ms(3, 14), starts_on=ms(2), ends_on=add_months(ms(2), 12))
     .sign_online(ms(3, 18), ines.user)
     .activate(ms(2)))
    _insurance_round(plan, kpa, staff, sent=ms(3, 6), answered=ms(3, 12))

    # Last month's newcomers, insured together: one waiting for her contract; one (without
    # e-mail) who did not sign his by its start date and got a new one, still to sign; one
    # who signed and starts on the first of next month.
    (_Walk(plan, kpa, staff)
     .register(ago(40), first_name="Fatoumata", last_name="Sow",
               email="fatoumata.sow@exemple.org", phone="06 51 22 84 17", **_situation(
                   "27 boulevard de Fourmies", "59100", "Roubaix", 104,
                   born=dt.date(1984, 9, 30),
                   idea="Traiteur : cuisine sénégalaise pour les fêtes et les associations",
                   france_travail=True, rsa=True))
     .upload(ago(38))
     .check(ago(31), "Carte d'identité n° 120859456789, valable jusqu'au 18/01/2030")
     .validate(ago(30)))
    late_start, new_start = ago(10), today + dt.timedelta(days=7)
    rachid = (
        _Walk(plan, kpa, staff)
        .register(ago(39), first_name="Rachid", last_name="Amrani", phone="07 68 41 09 33",
                  **_situation("3 rue du Fontenoy", "59100", "Roubaix", 105,
                               born=dt.date(1975, 1, 17),
                               idea="Menuiserie : petits meubles en bois de palette",
                               france_travail=False))
        .upload(ago(39))
        .check(ago(30), "Carte d'identité n° 990159321654, valable jusqu'au 05/05/2027")
        .validate(ago(29)))
    emilie = (
        _Walk(plan, kpa, staff)
        .register(ago(36), first_name="Émilie", last_name="Carlier",
                  email="emilie.carlier@exemple.org", phone="06 12 70 45 98",
                  **_situation("62 rue de l'Alma", "59100", "Roubaix", 106,
                               born=dt.date(1998, 4, 4),
                               idea="Couture : sacs et accessoires en tissus recyclés",
                               france_travail=True, rsa=False, qpv=False))
        .upload(ago(35))
        .check(ago(30), "Passeport n° 19AB45821, valable jusqu'au 11/10/2034")
        .validate(ago(28)))
    _insurance_round(plan, kpa, staff, sent=ago(26), answered=ago(20))
    (rachid
     .issue(ago(18), starts_on=late_start, ends_on=add_months(late_start, 12))
     .reissue(ago(3), starts_on=new_start, ends_on=add_months(new_start, 12)))
    (emilie
     .issue(ago(18), starts_on=ms(-1), ends_on=add_months(ms(-1), 12))
     .sign_scan(ago(9)))

    # This month's inscriptions: a minor of 17 with the parental consent, validated and on a
    # list the insurer has not answered yet; a complete file waiting for the structure; a
    # file opened with the référent yesterday, two pieces still missing.
    (_Walk(plan, kpa, staff)
     .register(ago(15), first_name="Enzo", last_name="Dubois", phone="07 81 55 20 46",
               **_situation("14 rue de la Guinguette", "59100", "Roubaix", 107,
                            born=add_months(today, -(17 * 12 + 4)),
                            idea="Sérigraphie et flocage de t-shirts pour les clubs du quartier"))
     .upload(ago(14))
     .check(ago(9), "Carte d'identité n° 230459741852, valable jusqu'au 20/04/2033")
     .validate(ago(8)))
    _insurance_round(plan, kpa, staff, sent=ago(6), answered=None)
    (_Walk(plan, kpa, staff)
     .register(ago(13), first_name="Sandrine", last_name="Lemaire",
               email="sandrine.lemaire@exemple.org",
               **_situation("5 rue Pierre de Roubaix", "59100", "Roubaix", 108,
                            born=dt.date(1971, 12, 12),
                            idea="Friperie : vêtements de seconde main retouchés",
                            france_travail=True))
     .upload(ago(12))
     .upload(ago(12), DocumentRequirement.Kind.FRANCE_TRAVAIL))
    (_Walk(plan, kpa, staff)
     .register(ago(1), first_name="Mamadou", last_name="Traoré", phone="06 40 18 72 95",
               **_situation("31 rue de Lannoy", "59100", "Roubaix", 109,
                            born=dt.date(1990, 7, 21),
                            idea="Réparation et vente de vélos d'occasion",
                            france_travail=True, rsa=True))
     .upload(ago(1), DocumentRequirement.Kind.IDENTITY))


def _plan_lille(plan: Plan, kpa: Kpa, staff: _Staff) -> None:
    """The KPA's référent has no login: the CAE's gestionnaire follows everyone."""
    today = plan.today

    def ms(months_ago: int, day: int = 0) -> dt.date:
        return _month_start(today, months_ago) + dt.timedelta(days=day)

    people = [p for p in _cooperants(kpa) if p.user is None or p.user.username != PERSONA]
    friperie, menuiserie = people[0], people[1]  # the first is "friperie" in the ledger's demo

    # The year's first coopérants: one now in a third period (three months, then four, then
    # twelve), one who moved on to a CESA at the end of a first period of six months.
    (_Walk(plan, kpa, staff)
     .register(ms(10, 10), person=menuiserie, **_situation(
         "31 rue d'Arras", "59000", "Lille", 201, born=dt.date(1982, 3, 15),
         idea="Menuiserie de récupération : étagères, bacs à plantes, petits meubles",
         france_travail=True))
     .upload(ms(10, 10))
     .check(ms(10, 11), "Carte d'identité n° 150359852963, valable jusqu'au 08/08/2028")
     .validate(ms(10, 12))
     .issue(ms(10, 20), starts_on=ms(9), ends_on=ms(6))
     .sign_scan(ms(10, 22))
     .activate(ms(9))
     .renew(ms(7, 10), ends_on=ms(2))
     .sign_scan(ms(7, 15))
     .renew(ms(3, 10), ends_on=add_months(ms(2), 12))
     .sign_scan(ms(3, 15)))
    (_Walk(plan, kpa, staff)
     .register(ms(10, 11), person=friperie, **_situation(
         "9 rue de Douai", "59000", "Lille", 202, born=dt.date(1968, 8, 27),
         idea="Friperie solidaire : tri, retouche et vente au marché de Wazemmes",
         france_travail=True, rsa=True))
     .upload(ms(10, 11))
     .check(ms(10, 11), "Carte d'identité n° 100859159753, valable jusqu'au 27/02/2029")
     .validate(ms(10, 12))
     .issue(ms(10, 20), starts_on=ms(9), ends_on=ms(3))
     .sign_scan(ms(10, 22))
     .activate(ms(9))
     .exit(ms(3) - dt.timedelta(days=1), Journey.ExitKind.CESA,
           "Entrepreneur·e salarié·e (CESA) de la CAE Cap Nord Activités"))
    _insurance_round(plan, kpa, staff, sent=ms(10, 13), answered=ms(10, 18))

    # Yesterday, alone, through the public inscription form.
    _Walk(plan, kpa, staff).register(
        today - dt.timedelta(days=1), actor=AnonymousUser(), first_name="Yasmine",
        last_name="Bouzid", email="yasmine.bouzid@exemple.org", phone="06 33 90 12 57",
        **_situation("22 rue de Wazemmes", "59000", "Lille", 203, born=dt.date(2001, 10, 5),
                     idea="Pâtisserie orientale sur commande"))


@dataclass(frozen=True)
class _FirstCape:
    """A coopérant of one of the other KPAs who walks the whole path to a first CAPE."""

    kpa: str
    pick: int  # the n-th local coopérant (creation order): the demo books give them this trade
    address: str
    postcode: str
    city: str
    seed: int
    born: dt.date
    idea: str  # its first words name the trade the sales demo sells under
    identity: str
    weeks: int  # the CAPE started that many weeks before today


FIRST_CAPES = (
    _FirstCape("KPA Mons-en-Barœul", 1, "9 allée Van Gogh", "59370", "Mons-en-Barœul", 301,
               dt.date(1987, 5, 14),
               "Coiffure et soins à domicile : coupes, brushings, soins pour les aînés",
               "Carte d'identité n° 140587357159, valable jusqu'au 03/11/2031", 6),
    _FirstCape("KPA Coudekerque-Branche", 1, "18 rue Jean Jaurès", "59210", "Coudekerque-Branche",
               302, dt.date(1977, 2, 3),
               "Traiteur des Flandres : repas de fête et plateaux pour les entreprises du port",
               "Carte d'identité n° 030277468024, valable jusqu'au 12/06/2029", 5),
    _FirstCape("KPA Boulogne-sur-Mer", 1, "26 rue du Triennal", "62200", "Boulogne-sur-Mer", 303,
               dt.date(1990, 9, 21),
               "Menuiserie de récupération : bacs à plantes, étagères, petites réparations",
               "Passeport n° 20CK71934, valable jusqu'au 17/02/2030", 7),
    _FirstCape("KPA La Rochelle-Mireuil", 0, "11 rue de Mireuil", "17000", "La Rochelle", 304,
               dt.date(1983, 12, 8),
               "Couture et retouches : ourlets, fermetures, créations sur mesure",
               "Carte d'identité n° 081283170346, valable jusqu'au 25/09/2032", 8),
)

# The association's own settings for its CAPEs (the CAE keeps the platform's defaults).
ASSOCIATION_POLICY = {
    "insurer": "MAIF (contrat associations et collectivités)",
    "legal_representative": "Mme Odile Marchand, présidente",
    "fee": "Adhésion annuelle à l'association (10 €) et contribution de 5 % du chiffre "
           "d'affaires encaissé, votée par l'assemblée générale.",
}


def _plan_first_cape(plan: Plan, kpa: Kpa, staff: _Staff, story: _FirstCape) -> None:
    """Inscription, pieces, validation, the insurer's yes, a contract signed on paper, and the
    start of the activity `story.weeks` weeks ago; every step a few days after the last."""
    starts_on = plan.today - dt.timedelta(weeks=story.weeks)

    def before(days: int) -> dt.date:
        return starts_on - dt.timedelta(days=days)

    structure = kpa.carrying_structure
    assert structure is not None
    if structure.kind == Structure.Kind.ASSOCIATION:
        # An association sets its own insurer and CAPE clauses before its first inscription
        # (the CAE keeps the platform's defaults).
        day = before(33)
        plan.at(day, lambda: services.update_policy(
            actor=staff.gestionnaire, structure=structure, today=day, **ASSOCIATION_POLICY))
    people = [p for p in _cooperants(kpa) if p.user is None or p.user.username != PERSONA]
    walk = (_Walk(plan, kpa, staff)
            .register(before(32), person=people[story.pick], **_situation(
                story.address, story.postcode, story.city, story.seed, born=story.born,
                idea=story.idea, france_travail=True, rsa=story.seed % 2 == 0))
            .upload(before(32))
            .diagnostic(before(30), f"Projet « {story.idea.split(':')[0].strip()} » au "
                                    f"{kpa.name}")
            .check(before(29), story.identity)
            .validate(before(28)))
    _insurance_round(plan, kpa, staff, sent=before(26), answered=before(20))
    (walk
     .issue(before(14), starts_on=starts_on, ends_on=add_months(starts_on, 12))
     .sign_scan(before(7))
     .activate(starts_on))


# -- entry points ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoJourneysResult:
    created: bool
    journeys: int
    contracts: int
    seconds: float = 0.0
    skipped: str = ""


def _current_user(today: dt.date, kind: str, **scope: object) -> User | None:
    role = (Role.objects.current(today).filter(kind=kind, person__user__is_active=True, **scope)
            .select_related("person__user").order_by("starts_on", "pk").first())
    return role.person.user if role is not None else None


def _staff(kpa: Kpa, today: dt.date) -> _Staff | None:
    gestionnaire = _current_user(today, RoleKind.GESTIONNAIRE,
                                 structure_id=kpa.carrying_structure_id)
    if gestionnaire is None:
        return None
    return _Staff(_current_user(today, RoleKind.REFERENT, kpa=kpa), gestionnaire)


def _staff_or_admin(kpa: Kpa, today: dt.date) -> _Staff | None:
    """The KPA's staff; for a structure without a gestionnaire who logs in (the association
    of La Rochelle), the platform administrator acts for it, as in the demo books."""
    found = _staff(kpa, today)
    if found is not None:
        return found
    admin = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if admin is None:
        return None
    return _Staff(_current_user(today, RoleKind.REFERENT, kpa=kpa), admin)


def _counts() -> tuple[int, int]:
    journeys = Journey.objects.filter(kpa__network__name=NETWORK_NAME)
    return journeys.count(), Contract.objects.filter(journey__in=journeys).count()


def _staff_since(staff: list[_Staff]) -> dt.date:
    """The day from which every actor of the story holds their role."""
    users = [user for s in staff for user in (s.referent, s.gestionnaire) if user is not None]
    starts = Role.objects.filter(person__user__in=users, kind__in=[
        RoleKind.REFERENT, RoleKind.GESTIONNAIRE]).values_list("starts_on", flat=True)
    return max(starts)


def no_mail(mails: object) -> None:
    """Stands for `notifications._send` while the demo is built."""


def seed_demo_journeys(*, today: dt.date) -> DemoJourneysResult:
    started = time.perf_counter()
    if Journey.objects.filter(kpa__network__name=NETWORK_NAME).exists():
        return DemoJourneysResult(False, *_counts())
    kpas = {k.name: k for k in Kpa.objects.filter(network__name=NETWORK_NAME,
                                                 name__in=[ROUBAIX, LILLE],
                                                 carrying_structure__isnull=False)}
    if len(kpas) < 2:
        return DemoJourneysResult(False, 0, 0, skipped="pas de réseau de démonstration")
    staff = {name: _staff(kpa, today) for name, kpa in kpas.items()}
    roubaix_staff, lille_staff = staff[ROUBAIX], staff[LILLE]
    if roubaix_staff is None or lille_staff is None:
        return DemoJourneysResult(False, 0, 0, skipped="pas de gestionnaire pour valider")
    plan = Plan(today)
    _plan_roubaix(plan, kpas[ROUBAIX], roubaix_staff)
    _plan_lille(plan, kpas[LILLE], lille_staff)
    acting = [roubaix_staff, lille_staff]
    others = {k.name: k for k in Kpa.objects.filter(
        network__name=NETWORK_NAME, name__in=[s.kpa for s in FIRST_CAPES],
        carrying_structure__isnull=False).select_related("carrying_structure")}
    for story in FIRST_CAPES:
        kpa = others.get(story.kpa)
        kpa_staff = _staff_or_admin(kpa, today) if kpa is not None else None
        if kpa is not None and kpa_staff is not None:
            _plan_first_cape(plan, kpa, kpa_staff, story)
            acting.append(kpa_staff)
    staff_since = _staff_since(acting)
    if plan.first_day < staff_since:
        return DemoJourneysResult(False, 0, 0, skipped=(
            f"l'histoire commencerait le {plan.first_day:%d/%m/%Y}, avant l'arrivée de "
            f"l'équipe le {staff_since:%d/%m/%Y}"))
    # Invented addresses: the notices stay in the platform and no e-mail is written, whatever
    # the backend (sending them one by one after the commit would also cost seconds).
    with mock.patch.object(notifications, "_send", no_mail), transaction.atomic():
        plan.play()
    return DemoJourneysResult(True, *_counts(), seconds=time.perf_counter() - started)


def seed_app_demo(*, today: dt.date) -> str:
    """The `kpa seed_demo` hook: one line for the console."""
    result = seed_demo_journeys(today=today)
    if result.skipped:
        return f"Parcours : rien à faire ({result.skipped})."
    verb = "créés" if result.created else "déjà présents"
    return (f"Parcours {verb} : {result.journeys} parcours à toutes les étapes, "
            f"{result.contracts} contrats CAPE.")
