"""Schemas of the statement API. Amounts go out as decimal strings ("1234.50"), never JSON
numbers (`kpa.sales.schemas.amount`)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from kpa.ledger.models import TreasuryAccount
from kpa.sales.schemas import Amount, amount
from kpa.treasury.balances import Figures
from kpa.treasury.forecast import Forecast
from kpa.treasury.statements import Overview, PayWindow, Row, Statement, who


class FiguresOut(Schema):
    cash: Amount = Field(description="Banque et caisse (classe 5), virements internes compris.")
    receivables: Amount = Field(description="Ce que les clients doivent encore (411).")
    owed: Amount = Field(description="Ce qui reste à payer : fournisseurs, notes de frais, "
                                     "salaires, cotisations, TVA (40, 42, 43, 44).")
    committed: Amount = Field(description="Réservé : demandes de rémunération en cours, "
                                          "budgets contributifs ouverts.")
    available: Amount = Field(description="cash - owed - committed.")
    turnover: Amount = Field(description="Ventes de l'exercice en cours, hors TVA (70).")
    direct_costs: Amount
    gross_margin: Amount
    contribution: Amount
    remuneration: Amount
    other_expenses: Amount
    other_income: Amount
    transfers: Amount = Field(description="Virements internes reçus moins versés (580).")

    @staticmethod
    def of(figures: Figures) -> FiguresOut:
        return FiguresOut(**{name: amount(getattr(figures, name)) for name in (
            "cash", "receivables", "owed", "committed", "available", "turnover",
            "direct_costs", "gross_margin", "contribution", "remuneration", "other_expenses",
            "other_income", "transfers")})


class TreasuryAccountOut(Schema):
    id: int
    code: str
    label: str
    kind: str = Field(description="individual, collective ou common.")
    kind_label: str
    who: str = Field(description="La personne, l'activité ou le KPA que le compte suit.")
    structure_id: int
    person_id: int | None
    activity_id: int | None
    kpa_id: int | None
    is_active: bool
    figures: FiguresOut

    @staticmethod
    def of(account: TreasuryAccount, figures: Figures) -> TreasuryAccountOut:
        return TreasuryAccountOut(
            id=account.pk, code=account.code, label=account.label, kind=account.kind,
            kind_label=str(account.get_kind_display()), who=who(account),
            structure_id=account.structure_id, person_id=account.person_id,
            activity_id=account.activity_id, kpa_id=account.kpa_id,
            is_active=account.is_active, figures=FiguresOut.of(figures))


class MovementOut(Schema):
    date: dt.date
    reference: str
    label: str
    words: str = Field(description="Ce que l'écriture a fait au compte, en mots simples.")
    amount: Amount = Field(description="Signé : + ce qui entre ou est gagné, - ce qui sort.")


class MonthOut(Schema):
    month: dt.date
    income: Amount = Field(description="Ventes et autres recettes (classe 7).")
    expenses: Amount = Field(description="Dépenses, contribution, rémunération (classe 6).")
    cash_at_end: Amount


class PayOut(Schema):
    month: dt.date = Field(description="Le mois de paie d'une demande faite aujourd'hui.")
    cutoff_on: dt.date = Field(description="Dernier jour pour demander (inclus).")
    max_net: Amount = Field(description="Le net dont le coût total estimé tient dans le "
                                        "disponible.")


class ForecastMonthOut(Schema):
    month: dt.date
    invoices: Amount = Field(description="Factures impayées dues ce mois (le premier mois : "
                                         "aussi celles en retard).")
    quotes: Amount = Field(description="Devis acceptés restant à facturer, TTC.")
    fee: Amount
    contribution: Amount = Field(description="Estimée au taux de la première tranche.")
    recurring: Amount = Field(description="Moyenne des autres dépenses des trois derniers "
                                          "mois complets.")
    income: Amount
    expenses: Amount
    available_at_end: Amount


class ForecastOut(Schema):
    available_now: Amount
    overdue: Amount
    later_invoices: Amount = Field(description="Factures dues après les trois mois (non "
                                               "comptées).")
    rate: str | None = Field(description="Le taux (%) de la première tranche du barème "
                                         "utilisé ; null sans barème.")
    scheme_name: str
    exempt: bool
    months: list[ForecastMonthOut]

    @staticmethod
    def of(forecast: Forecast) -> ForecastOut:
        return ForecastOut(
            available_now=amount(forecast.available_now), overdue=amount(forecast.overdue),
            later_invoices=amount(forecast.later_invoices),
            rate=None if forecast.rate is None else f"{forecast.rate:.3f}",
            scheme_name=forecast.scheme_name, exempt=forecast.exempt,
            months=[ForecastMonthOut(
                month=m.month, invoices=amount(m.invoices), quotes=amount(m.quotes),
                fee=amount(m.fee), contribution=amount(m.contribution),
                recurring=amount(m.recurring), income=amount(m.income),
                expenses=amount(m.expenses), available_at_end=amount(m.available_at_end))
                for m in forecast.months])


class TreasuryStatementOut(Schema):
    account: TreasuryAccountOut
    cashed: Amount = Field(description="Encaissé cet exercice : paiements des clients et "
                                       "ventes en caisse.")
    unpaid_invoices: Amount
    unpaid_claims: Amount
    unpaid_claim_count: int
    movements: list[MovementOut]
    months: list[MonthOut]
    pay: PayOut | None = Field(description="Pour un compte individuel.")
    forecast: ForecastOut

    @staticmethod
    def of(statement: Statement, forecast: Forecast, pay: PayWindow | None,
           max_net: Amount | None) -> TreasuryStatementOut:
        return TreasuryStatementOut(
            account=TreasuryAccountOut.of(statement.account, statement.figures),
            cashed=amount(statement.cashed), unpaid_invoices=amount(statement.unpaid_invoices),
            unpaid_claims=amount(statement.unpaid_claims),
            unpaid_claim_count=statement.unpaid_claim_count,
            movements=[MovementOut(date=m.date, reference=m.reference, label=m.label,
                                   words=m.words, amount=amount(m.amount))
                       for m in statement.movements],
            months=[MonthOut(month=m.month, income=amount(m.income),
                             expenses=amount(m.expenses), cash_at_end=amount(m.cash_at_end))
                    for m in statement.months],
            pay=None if pay is None or max_net is None else PayOut(
                month=pay.month, cutoff_on=pay.cutoff_on, max_net=max_net),
            forecast=ForecastOut.of(forecast))


class OverviewRowOut(Schema):
    account: TreasuryAccountOut
    last_pay: dt.date | None = Field(description="Date de la dernière rémunération comptée.")
    negative: bool
    unpaid_for_months: bool = Field(description="Vend mais pas payé·e depuis 3 mois ou plus.")

    @staticmethod
    def of(row: Row) -> OverviewRowOut:
        return OverviewRowOut(account=TreasuryAccountOut.of(row.account, row.figures),
                              last_pay=row.last_pay, negative=row.negative,
                              unpaid_for_months=row.unpaid_for_months)


class OverviewOut(Schema):
    structure_id: int
    rows: list[OverviewRowOut]
    own: FiguresOut = Field(description="La part propre de la structure : ses lignes sans "
                                        "compte de trésorerie.")
    total: FiguresOut = Field(description="Les comptes plus la part propre.")
    general_ledger: FiguresOut = Field(description="Le grand livre, relu à part.")
    agrees: bool = Field(description="total égale le grand livre, chiffre par chiffre.")

    @staticmethod
    def of(structure_id: int, overview: Overview) -> OverviewOut:
        assert overview.own is not None
        assert overview.ledger is not None
        return OverviewOut(structure_id=structure_id,
                           rows=[OverviewRowOut.of(r) for r in overview.rows],
                           own=FiguresOut.of(overview.own),
                           total=FiguresOut.of(overview.total),
                           general_ledger=FiguresOut.of(overview.ledger),
                           agrees=overview.agrees)
