"""Demo treasury: contribution schemes and their monthly runs, pay requests and a payroll round
trip, a contributory budget, and a bank statement to reconcile, played on the demo network's
books after the ledger, sales and purchases demos (INSTALLED_APPS order).

- Contribution: the CAE takes the Optéos scale (11.5 % of the gross margin up to 30 k€ a year,
  then 10.5, 9.5, 8.5 and 7.5 % by 30 k€ brackets) and a 30 € monthly fee waived for RSA
  recipients; the association of La Rochelle takes 10 % of the turnover. The Roubaix friperie
  (a collective activity) is exempt. Each finished month of the year with sales is run early
  the next month by the comptable (the administrator for the association), as the books stood.
- Contributory budget: the friperie received a 3,000 € grant from the city the month before
  last (its few sales would not fund the envelopes below); last month its members and
  animateur sorted and mended the autumn stock within an envelope, closed with the rewards
  moved to their individual treasuries and the rest to the KPA's common pot; this month a
  Christmas-market envelope (rewards fixed per task) is still open.
- Pay (the coopérant persona, the only coopérant who logs in, under a CAPE: the books pay
  her no salary; they pay only the entrepreneurs-salariés who do not log in). Last month she
  asked for a pay, the référent transmitted it, and early this month the gestionnaire exported
  the month to the payroll software, whose summary, imported the next day, booked it. That
  summary also pays two coopérants who do not log in, whom the books do not pay that month and
  whose treasury covers it twice: they asked their référent on paper. Nobody is paid twice for
  a month. This month a first request is refused with its reason, a second one transmitted
  (it waits for the month's export, early next month); after this month's published cut-off
  (the 25th), a request for next month takes almost all that is left: her treasury is close to
  zero. Her amounts are computed from what her treasury really has on each day.
- Bank: last month's statement of the CAE's bank (OFX), written from the bank lines its books
  really hold for that month plus what only the bank knew (fees), imported by the comptable,
  who matched the lines of the first three weeks and left the rest.

The structures have no pay settings of their own (no service writes them yet): the defaults
apply (cut-off on the 25th, 22 % and 30 % of rates). Everything goes through the services, each
step on its day (`kpa.journey.demo.Plan`), with the demo's real people as actors. Idempotent:
nothing is done when a structure of the demo already has a contribution scheme. No e-mail
leaves.
"""

from __future__ import annotations

import datetime as dt
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from functools import cached_property, partial
from typing import Any
from unittest import mock

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet

from kpa.core import notifications
from kpa.core.money import quantize
from kpa.directory.demo import NETWORK_NAME
from kpa.directory.models import (
    Activity,
    ActivityMembership,
    Kpa,
    Person,
    Role,
    RoleKind,
    Structure,
)
from kpa.journey.demo import Plan, no_mail
from kpa.ledger import services as ledger_services
from kpa.ledger.models import Books, EntryLine, FiscalYear, Journal, TreasuryAccount
from kpa.ledger.services import LineInput
from kpa.ledger.treasury_accounts import individual_account_for, treasury_account_for
from kpa.treasury import (
    balances,
    bank_import,
    contribution,
    envelopes,
    pay,
    payroll,
    reconciliation,
    schemes,
)
from kpa.treasury.models import (
    BankStatement,
    BankTransaction,
    ContributionCharge,
    ContributionOverride,
    ContributionScheme,
    Envelope,
    PayRequest,
    PayrollImport,
)
from kpa.treasury.schemes import BracketInput

ZERO = Decimal("0.00")
OPTEOS = (("0", "11.5"), ("30000", "10.5"), ("60000", "9.5"), ("90000", "8.5"),
          ("120000", "7.5"))
OPTEOS_FEE = Decimal("30.00")
ASSOCIATION_RATE = "10"
GRANT = Decimal("3000.00")  # a contrat de ville grant to the collective
PAPER_NET = Decimal("100.00")  # asked on paper by a coopérant who does not log in
LEFT_AT_THE_END = Decimal("20.00")  # what the last pay request leaves in the treasury
ACTUAL_EMPLOYER_RATE = Decimal("0.28")  # the payroll software's real figure (estimated: 30 %)
MATCHED_UNTIL_DAY = 24  # the comptable matched the statement's lines up to this day
BANK_FEES = ((14, "COMMISSION D INTERVENTION", "-8.00"),
             (28, "COTISATION CARTE BUSINESS", "-3.90"),
             (31, "FRAIS TENUE DE COMPTE", "-6.50"))


def _first(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _months_before(month: dt.date, count: int) -> dt.date:
    for _step in range(count):
        month = _first(month - dt.timedelta(days=1))
    return month


def _down(amount: Decimal, step: Decimal = Decimal(10)) -> Decimal:
    """`amount` rounded down to a multiple of `step` (what a person asks: 250, not 253.18)."""
    if amount <= 0:
        return ZERO
    return (amount / step).to_integral_value(rounding=ROUND_DOWN) * step


def _ascii(text: str) -> str:
    """A bank's label: capitals without accents."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.upper().replace("'", " ").split())


def _current_user(day: dt.date, kind: str, **scope: object) -> User | None:
    role = (Role.objects.current(day).filter(kind=kind, person__user__is_active=True, **scope)
            .select_related("person__user").order_by("starts_on", "pk").first())
    return role.person.user if role is not None else None


def _admin() -> User | None:
    return User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()


def _open_year(structure: Structure, today: dt.date) -> FiscalYear | None:
    return (FiscalYear.objects.filter(structure=structure, starts_on__lte=today,
                                      status=FiscalYear.Status.OPEN)
            .order_by("-starts_on").first())


# -- the people of a KPA's story ------------------------------------------------------------


@dataclass(frozen=True)
class _Collective:
    """A KPA's collective activity with a coopérant member who logs in (the persona), and
    the KPA's staff who log in."""

    kpa: Kpa
    activity: Activity
    person: Person
    member: User  # the person's login
    referent: User | None
    animateur: User | None


def _collective(structure: Structure, day: dt.date) -> _Collective | None:
    """The first KPA of the structure whose collective activity counts a coopérant who logs
    in among its members."""
    for kpa in Kpa.objects.filter(network__name=NETWORK_NAME,
                                  carrying_structure=structure).order_by("pk"):
        membership = (ActivityMembership.objects.current(day)
                      .filter(activity__kpa=kpa, activity__kind=Activity.Kind.COLLECTIVE,
                              person__user__is_active=True,
                              person__roles__kind=RoleKind.COOPERANT, person__roles__kpa=kpa)
                      .filter(Q(activity__ended_on__isnull=True)
                              | Q(activity__ended_on__gt=day))
                      .select_related("activity", "person__user")
                      .order_by("activity_id", "person_id").first())
        if membership is not None and membership.person.user is not None:
            return _Collective(kpa, membership.activity, membership.person,
                               membership.person.user,
                               _current_user(day, RoleKind.REFERENT, kpa=kpa),
                               _current_user(day, RoleKind.ANIMATEUR, kpa=kpa))
    return None


# -- one structure's story ------------------------------------------------------------------


@dataclass
class _Story:
    plan: Plan
    structure: Structure
    year: FiscalYear
    last: dt.date  # the story's last day: today, or the fiscal year's last day
    manager: User  # the gestionnaire, or the administrator acting for the structure
    bookkeeper: User  # the comptable, else the manager
    collective: _Collective | None
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def month(self) -> dt.date:
        return _first(self.last)

    @cached_property
    def start(self) -> dt.date:
        """The first day the manager may act for the structure."""
        since = (Role.objects.filter(person__user=self.manager, kind=RoleKind.GESTIONNAIRE,
                                     structure=self.structure)
                 .order_by("starts_on").values_list("starts_on", flat=True).first())
        return max(self.year.starts_on, since or self.year.starts_on)

    def on(self, day: dt.date, step: Callable[[dt.date], object]) -> None:
        """Run `step(day)` on `day` when it falls between the story's start and its end."""
        if self.start <= day <= self.last:
            self.plan.at(day, lambda: step(day))

    def day_of(self, month: dt.date, day: int) -> dt.date:
        return month.replace(day=min(day, 28))

    # -- contribution -----------------------------------------------------------------------

    def contribution(self) -> None:
        self.on(self.start, self._scheme)
        if self.collective is not None:
            activity = self.collective.activity
            self.on(max(self.start, activity.started_on), self._exempt)
        month = self.year.starts_on
        while contribution.last_day(month) < self.last:
            self.on(min(contribution.next_month(month) + dt.timedelta(days=1), self.last),
                    partial(self._run, month=month))
            month = contribution.next_month(month)

    def _scheme(self, day: dt.date) -> None:
        if self.structure.kind == Structure.Kind.CAE:
            schemes.create_scheme(
                actor=self.manager, structure=self.structure,
                name=f"Barème Optéos {self.year.starts_on:%Y}",
                starts_on=self.year.starts_on, brackets=[BracketInput(*b) for b in OPTEOS],
                monthly_fee=OPTEOS_FEE, fee_waived_for_rsa=True, today=day)
        else:
            schemes.create_scheme(
                actor=self.manager, structure=self.structure,
                name=f"{ASSOCIATION_RATE} % du chiffre d'affaires",
                base=ContributionScheme.Base.TURNOVER, starts_on=self.year.starts_on,
                brackets=[BracketInput("0", ASSOCIATION_RATE)], today=day)

    def _exempt(self, day: dt.date) -> None:
        assert self.collective is not None
        schemes.create_override(
            actor=self.manager, activity=self.collective.activity, exempt=True,
            starts_on=_first(day), today=day,
            reason="Activité collective de quartier : exonérée pendant son lancement")

    def _run(self, day: dt.date, month: dt.date) -> None:
        """A finished month, run when it had sales (a later month counts the earlier ones)."""
        sold = EntryLine.objects.filter(
            entry__structure=self.structure, validated=True, account__number__startswith="70",
            entry__date__gte=month, entry__date__lte=contribution.last_day(month)).exists()
        if sold:
            contribution.run_month(actor=self.bookkeeper, structure=self.structure,
                                   month=month, today=day)

    # -- the collective's grant and its contributory budget ---------------------------------

    def budget(self) -> None:
        if self.collective is None:
            return
        last_month = _months_before(self.month, 1)
        self.on(self.day_of(_months_before(self.month, 2), 15), self._grant)
        self.on(self.day_of(last_month, 5), self._open_autumn)
        self.on(self.day_of(last_month, 12), self._declare_autumn)
        self.on(self.day_of(last_month, 16), self._close_autumn)
        self.on(self.day_of(self.month, 16), self._open_market)
        self.on(self.day_of(self.month, 20), self._declare_market)

    def _source(self) -> TreasuryAccount:
        assert self.collective is not None
        return treasury_account_for(self.collective.activity, actor=self.manager)

    def _grant(self, day: dt.date) -> None:
        assert self.collective is not None
        source = self._source()
        label = f"Subvention Contrat de ville - {self.collective.activity.name}"
        ledger_services.create_entry(
            actor=self.bookkeeper, structure=self.structure,
            journal=Journal.objects.get(structure=self.structure, code="BQ1"), date=day,
            label=label, piece_ref=f"SUBV-{day:%Y}-{source.code}", validate=True, today=day,
            lines=[LineInput("512", debit=GRANT, label=label, treasury_account=source),
                   LineInput("741", credit=GRANT, label=label, treasury_account=source)])

    def _opener(self) -> User:
        assert self.collective is not None
        return self.collective.animateur or self.collective.member

    def _closer(self) -> User:
        assert self.collective is not None
        return self.collective.referent or self.manager

    def _open_autumn(self, day: dt.date) -> None:
        opener = self._opener()
        envelope = envelopes.open_envelope(
            actor=opener, source=self._source(), today=day, amount=Decimal("1800.00"),
            title="Tri et remise en état du stock d'automne",
            description="Trier les dons de la rentrée, réparer ce qui peut l'être et "
                        "animer l'atelier couture du samedi.",
            hourly_ceiling=Decimal("30.00"), rest_to_common_pot=True)
        tasks = {key: envelopes.add_task(actor=opener, envelope=envelope, title=title,
                                         today=day)
                 for key, title in (("sort", "Tri des dons de vêtements"),
                                    ("mend", "Réparations et retouches"),
                                    ("animate", "Animation de l'atelier couture"))}
        self.state["autumn"] = (envelope, tasks)

    def _declare_autumn(self, day: dt.date) -> None:
        assert self.collective is not None
        envelope, tasks = self.state["autumn"]
        member = self.collective.member
        envelopes.declare_reward(actor=member, envelope=envelope, task=tasks["mend"],
                                 hours="30", amount="900", today=day,
                                 note="Ourlets, boutons et fermetures de 120 pièces")
        envelopes.declare_reward(actor=member, envelope=envelope, task=tasks["sort"],
                                 hours="12", amount="330", today=day)
        if self.collective.animateur is not None:
            envelopes.declare_reward(actor=self.collective.animateur, envelope=envelope,
                                     task=tasks["animate"], hours="6", amount="180", today=day,
                                     note="Trois samedis matin")

    def _close_autumn(self, day: dt.date) -> None:
        envelope, _tasks = self.state["autumn"]
        envelopes.close_envelope(actor=self._closer(), envelope=envelope, today=day)

    def _open_market(self, day: dt.date) -> None:
        assert self.collective is not None
        member = self.collective.member
        envelope = envelopes.open_envelope(
            actor=member, source=self._source(), today=day, amount=Decimal("400.00"),
            title="Stand du marché de Noël", mode=Envelope.Mode.GRID,
            description="Le stand de la friperie au marché de Noël du quartier, les "
                        "samedis de décembre.")
        tasks = {key: envelopes.add_task(actor=member, envelope=envelope, title=title,
                                         grid_amount=amount, today=day)
                 for key, title, amount in (
                     ("stand", "Tenir le stand (une demi-journée)", "60"),
                     ("lots", "Préparer et étiqueter les lots", "45"),
                     ("posters", "Affiches et annonce sur les réseaux", "30"))}
        self.state["market"] = (envelope, tasks)

    def _declare_market(self, day: dt.date) -> None:
        assert self.collective is not None
        envelope, tasks = self.state["market"]
        envelopes.declare_reward(actor=self.collective.member, envelope=envelope,
                                 task=tasks["lots"], today=day)
        if self.collective.animateur is not None:
            envelopes.declare_reward(actor=self.collective.animateur, envelope=envelope,
                                     task=tasks["posters"], today=day)

    # -- pay --------------------------------------------------------------------------------

    def pay(self) -> None:
        if self.collective is None:
            return
        last_month = _months_before(self.month, 1)
        settings = pay.settings_of(self.structure)
        cutoff = pay.cutoff_for(self.structure, self.month, settings)
        if not self._salaried(last_month).filter(
                treasury_account__person=self.collective.person).exists():  # never twice
            self.on(self.day_of(last_month, 19), lambda day: self._ask(day, Decimal("0.5")))
            self.on(self.day_of(last_month, 21), self._transmit)
        self.on(self.day_of(self.month, 2), lambda day: self._export(day, last_month))
        self.on(self.day_of(self.month, 2), self._publish)
        self.on(self.day_of(self.month, 3), lambda day: self._import(day, last_month))
        self.on(self.day_of(self.month, 5), lambda day: self._ask(day, Decimal("0.9")))
        self.on(self.day_of(self.month, 6), self._refuse)
        if self.last > cutoff + dt.timedelta(days=1):
            # Before the cut-off the month's request waits; after it, it is transmitted and
            # the next month's is asked.
            self.on(self.day_of(self.month, 10), lambda day: self._ask(day, Decimal("0.4")))
            self.on(self.day_of(self.month, 11), self._transmit)
        self.on(self.last, self._ask_all_but_a_little)

    def _salaried(self, month: dt.date) -> QuerySet[EntryLine]:
        """The lines of the salaries (641) the books already pay in `month`."""
        return EntryLine.objects.filter(
            entry__structure=self.structure, validated=True, account__number__startswith="641",
            entry__date__gte=month, entry__date__lte=contribution.last_day(month))

    def _account(self) -> TreasuryAccount:
        assert self.collective is not None
        return individual_account_for(self.collective.person, self.structure,
                                      actor=self.manager, kpa=self.collective.kpa)

    def _ask(self, day: dt.date, share: Decimal) -> None:
        """The coopérant asks `share` of the largest net her treasury allows, in round
        tens; nothing when it allows less than 10 €."""
        assert self.collective is not None
        account = self._account()
        net = _down(pay.allowance_for(account, today=day).max_net * share)
        if net > 0:
            self.state["request"] = pay.request_pay(
                actor=self.collective.member, account=account, net_amount=net, today=day)

    def _ask_all_but_a_little(self, day: dt.date) -> None:
        assert self.collective is not None
        account = self._account()
        allowance = pay.allowance_for(account, today=day)
        if allowance.current is not None:
            return
        net = pay.max_net(allowance.available - LEFT_AT_THE_END, allowance.settings)
        if net > 0:
            self.state["request"] = pay.request_pay(
                actor=self.collective.member, account=account, net_amount=net, today=day,
                note="Je garde un peu pour les fournitures du mois prochain.")

    def _waiting(self) -> PayRequest | None:
        request = self.state.pop("request", None)
        return request if isinstance(request, PayRequest) else None

    def _transmit(self, day: dt.date) -> None:
        request = self._waiting()
        if request is not None:
            pay.transmit_pay_request(actor=self._closer(), pay_request=request, today=day)

    def _refuse(self, day: dt.date) -> None:
        request = self._waiting()
        if request is not None:
            pay.refuse_pay_request(
                actor=self._closer(), pay_request=request, today=day,
                reason="La contribution de ce mois n'est pas encore prise et ta note de "
                       "frais du mois dernier reste à rembourser : demande un peu moins, pour "
                       "garder de quoi les couvrir.")

    def _export(self, day: dt.date, month: dt.date) -> None:
        if any(r.status == PayRequest.Status.TRANSMITTED
               for r in payroll.month_requests(self.structure, month)):
            payroll.export_month(actor=self.manager, structure=self.structure, month=month,
                                 today=day)

    def _publish(self, day: dt.date) -> None:
        cutoff = self.day_of(self.month, pay.settings_of(self.structure).cutoff_day)
        if cutoff >= day:
            pay.publish_cutoff(actor=self.manager, structure=self.structure, month=self.month,
                               cutoff_on=cutoff, today=day)

    def _import(self, day: dt.date, month: dt.date) -> None:
        """The payroll software's summary of the month: the requests exported, and two
        coopérants under a running contract who do not log in and asked their référent on
        paper: not those the books already pay a salary that month, and only those whose
        treasury covers twice the pay's cost."""
        settings = pay.settings_of(self.structure)
        rows: list[tuple[int, str, str, pay.Estimate]] = []
        for request in payroll.month_requests(self.structure, month):
            if request.status == PayRequest.Status.EXPORTED:
                rows.append((request.person_id, request.person.last_name,
                             request.person.first_name,
                             pay.estimate(request.net_amount, settings)))
        asked = pay.estimate(PAPER_NET, settings)
        candidates = list(
            TreasuryAccount.objects
            .filter(structure=self.structure, kind=TreasuryAccount.Kind.INDIVIDUAL,
                    is_active=True, person__user__isnull=True,
                    person_id__in=pay.running_contract_holders(
                        self.structure.pk, None, contribution.last_day(month)))
            .exclude(pk__in=self._salaried(month).values("treasury_account_id"))
            .select_related("person").order_by("code"))
        figures = balances.figures_for(self.structure, [a.pk for a in candidates], today=day)
        paper = [a for a in candidates
                 if a.pk in figures and figures[a.pk].available >= 2 * asked.cost][:2]
        for account in paper:
            assert account.person is not None
            rows.append((account.person.pk, account.person.last_name,
                         account.person.first_name, asked))
        if not rows:
            return
        lines = ["id_personne;nom;prenom;brut;net;cout_employeur"]
        for person_id, last_name, first_name, estimate in rows:
            cost = quantize(estimate.gross * (1 + ACTUAL_EMPLOYER_RATE))
            lines.append(";".join([str(person_id), last_name, first_name,
                                   *(f"{value:.2f}".replace(".", ",")
                                     for value in (estimate.gross, estimate.net, cost))]))
        payroll.import_summary(actor=self.manager, structure=self.structure, month=month,
                               file_name=f"recapitulatif-paie-{month:%Y-%m}.csv",
                               content=("\r\n".join(lines) + "\r\n").encode("utf-8"),
                               today=day)

    # -- bank -------------------------------------------------------------------------------

    def bank(self) -> None:
        if self.collective is None:
            return
        self.on(self.day_of(self.month, 5), self._import_statement)
        self.on(self.day_of(self.month, 6), self._match)

    def _journal(self) -> Journal:
        return Journal.objects.select_related("structure").get(structure=self.structure,
                                                               code="BQ1")

    def _import_statement(self, day: dt.date) -> None:
        month = _months_before(self.month, 1)
        journal = self._journal()
        end = contribution.last_day(month)
        lines = (reconciliation.bank_lines(journal)
                 .filter(entry__date__gte=month, entry__date__lte=end)
                 .order_by("entry__date", "entry__number", "position"))
        moves = [_Move(line.entry.date, line.label or line.entry.label, line.entry.piece_ref,
                       reconciliation.line_amount(line)) for line in lines]
        moves += [_Move(end if fee_day > 28 else month.replace(day=fee_day), label, "",
                        Decimal(amount), fee=True)
                  for fee_day, label, amount in BANK_FEES]
        moves.sort(key=lambda move: move.day)
        content = _ofx(self.structure, month, end, moves)
        bank_import.import_statement(actor=self.bookkeeper, journal=journal,
                                     file_name=f"releve-{month:%Y-%m}.ofx", content=content,
                                     today=day)

    def _match(self, day: dt.date) -> None:
        month = _months_before(self.month, 1)
        waiting = list(BankTransaction.objects.filter(
            journal=self._journal(), status=BankTransaction.Status.UNMATCHED,
            booked_on__lte=self.day_of(month, MATCHED_UNTIL_DAY)).order_by("booked_on", "pk"))
        found = reconciliation.suggestions_for(waiting)
        used: set[int] = set()
        for transaction_ in waiting:
            same_day = [s.line for s in found.get(transaction_.pk, [])
                        if s.days_apart == 0 and s.line.pk not in used]
            if same_day:
                used.add(same_day[0].pk)
                reconciliation.match(actor=self.bookkeeper, transaction=transaction_,
                                     lines=same_day[:1], today=day)


@dataclass(frozen=True)
class _Move:
    """One line of a bank statement."""

    day: dt.date
    label: str
    reference: str
    amount: Decimal  # + money in
    fee: bool = False


def _ofx(structure: Structure, start: dt.date, end: dt.date, moves: list[_Move]) -> bytes:
    """An OFX 1.0.2 statement, as French banks write them."""
    rows = []
    for number, move in enumerate(moves, start=1):
        kind = "FEE" if move.fee else ("CREDIT" if move.amount > 0 else "DEBIT")
        rows += ["<STMTTRN>", f"<TRNTYPE>{kind}", f"<DTPOSTED>{move.day:%Y%m%d}",
                 f"<TRNAMT>{move.amount:.2f}", f"<FITID>{move.day:%Y%m%d}{number:05d}",
                 f"<NAME>{_ascii(move.label)[:32]}"]
        if move.reference:
            rows.append(f"<MEMO>{_ascii(move.reference)[:64]}")
        rows.append("</STMTTRN>")
    header = ["OFXHEADER:100", "DATA:OFXSGML", "VERSION:102", "SECURITY:NONE",
              "ENCODING:USASCII", "CHARSET:1252", "COMPRESSION:NONE", "OLDFILEUID:NONE",
              "NEWFILEUID:NONE", ""]
    body = ["<OFX>", "<SIGNONMSGSRSV1>", "<SONRS>", "<STATUS>", "<CODE>0", "<SEVERITY>INFO",
            "</STATUS>", f"<DTSERVER>{end:%Y%m%d}", "<LANGUAGE>FRA", "</SONRS>",
            "</SIGNONMSGSRSV1>", "<BANKMSGSRSV1>", "<STMTTRNRS>", f"<TRNUID>{end:%Y%m%d}",
            "<STATUS>", "<CODE>0", "<SEVERITY>INFO", "</STATUS>", "<STMTRS>", "<CURDEF>EUR",
            "<BANKACCTFROM>", "<BANKID>10278", "<BRANCHID>00001",
            f"<ACCTID>{int(structure.siren) % 10**11:011d}", "<ACCTTYPE>CHECKING",
            "</BANKACCTFROM>", "<BANKTRANLIST>", f"<DTSTART>{start:%Y%m%d}",
            f"<DTEND>{end:%Y%m%d}", *rows, "</BANKTRANLIST>", "</STMTRS>", "</STMTTRNRS>",
            "</BANKMSGSRSV1>", "</OFX>"]
    return ("\r\n".join(header + body) + "\r\n").encode("ascii")


# -- entry points ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoTreasuryResult:
    created: bool
    schemes: int = 0
    overrides: int = 0
    months: int = 0
    requests: int = 0
    payroll_lines: int = 0
    envelopes: int = 0
    bank_transactions: int = 0
    matched: int = 0
    seconds: float = 0.0
    skipped: str = ""


def _demo_structures() -> list[Structure]:
    return list(Structure.objects.filter(network__name=NETWORK_NAME,
                                         pk__in=Books.objects.values("structure_id"))
                .order_by("pk"))


def _counts(created: bool, structures: list[Structure], seconds: float = 0.0
            ) -> DemoTreasuryResult:
    transactions = BankTransaction.objects.filter(statement__structure__in=structures)
    return DemoTreasuryResult(
        created=created,
        schemes=ContributionScheme.objects.filter(structure__in=structures,
                                                  overrides__isnull=True).count(),
        overrides=ContributionOverride.objects.filter(
            treasury_account__structure__in=structures).count(),
        months=ContributionCharge.objects.filter(structure__in=structures)
        .values("structure_id", "month").distinct().count(),
        requests=PayRequest.objects.filter(structure__in=structures).count(),
        payroll_lines=sum(p.lines.count() for p in PayrollImport.objects.filter(
            structure__in=structures)),
        envelopes=Envelope.objects.filter(structure__in=structures).count(),
        bank_transactions=transactions.count(),
        matched=transactions.filter(status=BankTransaction.Status.MATCHED).count(),
        seconds=seconds)


def seed_demo_treasury(*, today: dt.date) -> DemoTreasuryResult:
    started = time.perf_counter()
    structures = _demo_structures()
    if not structures:
        return DemoTreasuryResult(False, skipped="pas de comptabilité de démonstration")
    if (ContributionScheme.objects.filter(structure__in=structures).exists()
            or BankStatement.objects.filter(structure__in=structures).exists()):
        return _counts(False, structures)
    plan = Plan(today)
    stories = []
    for structure in structures:
        year = _open_year(structure, today)
        if year is None or not Kpa.objects.filter(carrying_structure=structure).exists():
            continue  # a structure that carries no KPA has no treasury to follow
        last = min(today, year.ends_on - dt.timedelta(days=1))
        manager = _current_user(last, RoleKind.GESTIONNAIRE, structure=structure) or _admin()
        if manager is None:
            continue
        bookkeeper = _current_user(last, RoleKind.COMPTABLE, structure=structure) or manager
        stories.append(_Story(plan, structure, year, last, manager, bookkeeper,
                              _collective(structure, last)))
    if not stories:
        return DemoTreasuryResult(False, skipped="personne pour tenir les comptes")
    for story in stories:
        story.contribution()
        story.budget()
        story.pay()
        story.bank()
    with mock.patch.object(notifications, "_send", no_mail), transaction.atomic():
        plan.play()
    return _counts(True, structures, time.perf_counter() - started)


def seed_app_demo(*, today: dt.date) -> str:
    """The `kpa seed_demo` hook: one line for the console."""
    result = seed_demo_treasury(today=today)
    if result.skipped:
        return f"Trésorerie : rien à faire ({result.skipped})."
    verb = "créée" if result.created else "déjà présente"
    overrides = "dérogation" if result.overrides < 2 else "dérogations"
    return (f"Trésorerie {verb} : {result.schemes} barèmes, {result.overrides} {overrides}, "
            f"{result.months} mois de contribution, {result.requests} demandes de "
            f"rémunération, {result.payroll_lines} lignes de paie, {result.envelopes} budgets "
            f"contributifs, {result.bank_transactions} opérations bancaires dont "
            f"{result.matched} rapprochées.")
