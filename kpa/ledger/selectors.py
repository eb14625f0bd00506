"""Reads of the books, always scoped: a user reaches a structure's books only as its comptable
or gestionnaire (or the platform administrator). Out of reach is 404."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet

from kpa.core.auth import AnyUser
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import Structure
from kpa.directory.permissions import reach_of
from kpa.ledger.models import Account, Entry, EntryLine, FiscalYear, Journal


def structures_with_books_for(user: AnyUser, today: dt.date) -> QuerySet[Structure]:
    """Structures whose books the user may read (opened or not yet)."""
    reach = reach_of(user, today)
    structures = Structure.objects.select_related("books").order_by("name")
    if reach.is_admin:
        return structures
    return structures.filter(pk__in=reach.structures)


def structure_for_books(user: AnyUser, pk: int | str, today: dt.date) -> Structure:
    return get_in_scope(structures_with_books_for(user, today), pk=pk)


def fiscal_year_for(user: AnyUser, pk: int | str, today: dt.date) -> FiscalYear:
    """A fiscal year of a structure whose books the user reads, or 404."""
    return get_in_scope(
        FiscalYear.objects.select_related("structure__books").filter(
            structure__in=structures_with_books_for(user, today)),
        pk=pk,
    )


def entry_for(user: AnyUser, pk: int | str, today: dt.date) -> Entry:
    """An entry of a structure whose books the user reads, or 404."""
    return get_in_scope(
        Entry.objects.filter(structure__in=structures_with_books_for(user, today))
        .select_related("structure", "journal", "fiscal_year", "reverses"),
        pk=pk,
    )


def fiscal_years_of(structure: Structure) -> QuerySet[FiscalYear]:
    return FiscalYear.objects.filter(structure=structure).order_by("-starts_on")




def fiscal_year_named(structure: Structure, name: int) -> FiscalYear:
    """The year named by the calendar year in which it ends (as the CLI names it)."""
    for year in FiscalYear.objects.filter(structure=structure):
        if year.name == name:
            return year
    raise FiscalYear.DoesNotExist(f"No fiscal year {name} for {structure.siren}")


def current_fiscal_year(structure: Structure, today: dt.date) -> FiscalYear | None:
    years = FiscalYear.objects.filter(structure=structure)
    return (years.filter(starts_on__lte=today, ends_on__gt=today).first()
            or years.filter(status=FiscalYear.Status.OPEN).order_by("starts_on").first()
            or years.order_by("-starts_on").first())


def previous_fiscal_year(year: FiscalYear) -> FiscalYear | None:
    return FiscalYear.objects.filter(structure_id=year.structure_id,
                                     ends_on=year.starts_on).first()


def accounts_of(structure: Structure) -> QuerySet[Account]:
    return Account.objects.filter(structure=structure).order_by("number")


def journals_of(structure: Structure) -> QuerySet[Journal]:
    return Journal.objects.filter(structure=structure).select_related("account").annotate(
        entry_count=Count("entries")).order_by("code")




def entries_of(year: FiscalYear, *, journal: Journal | None = None,
               status: str | None = None, search: str = "") -> QuerySet[Entry]:
    entries = Entry.objects.filter(fiscal_year=year).select_related("journal")
    if journal is not None:
        entries = entries.filter(journal=journal)
    if status:
        entries = entries.filter(status=status)
    if search:
        entries = entries.filter(Q(label__icontains=search) | Q(piece_ref__icontains=search))
    return entries.order_by("-date", "-pk")




def lines_of(entry: Entry) -> QuerySet[EntryLine]:
    return entry.lines.select_related("account", "third_party", "treasury_account").order_by(
        "position")
