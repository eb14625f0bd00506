"""Which treasury account a line carries, opened when missing — for other apps' services.

- an individual activity's lines carry its coopérant's individual account (`T-<person>`);
- a collective activity's lines carry the activity's own account (`A-<activity>`);
- a KPA's common pot is `KPA-<kpa>` in the books of its carrying structure.

No gate here: the calling service (an invoice being issued, an expense claim being validated)
holds its own. Opening is serialised on the row it follows, so two first operations at once
never open two accounts.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.directory.models import Activity, ActivityMembership, Kpa, Person, Structure
from kpa.ledger import services as ledger_services
from kpa.ledger.models import Account, TreasuryAccount


def individual_account_for(person: Person, structure: Structure, *, actor: AnyUser,
                           kpa: Kpa | None = None) -> TreasuryAccount:
    """The coopérant's individual account in the structure's books, opened when missing."""
    accounts = TreasuryAccount.objects.filter(structure=structure)
    found = accounts.filter(person=person, kind=TreasuryAccount.Kind.INDIVIDUAL).first()
    if found is not None:
        return found
    Person.objects.select_for_update().filter(pk=person.pk).first()
    found = accounts.filter(person=person, kind=TreasuryAccount.Kind.INDIVIDUAL).first()
    if found is not None:
        return found
    code, suffix = f"T-{person.pk}", 1
    while accounts.filter(code=code).exists():
        suffix += 1
        code = f"T-{person.pk}-{suffix}"
    return ledger_services.open_treasury_account(
        actor=actor, structure=structure, code=code, label=str(person),
        kind=TreasuryAccount.Kind.INDIVIDUAL, person=person, kpa=kpa)


def treasury_account_for(activity: Activity, *, actor: AnyUser) -> TreasuryAccount:
    """The treasury account the activity's lines carry: the one following the activity, else
    (an individual activity) its coopérant's individual account, opened when missing."""
    accounts = TreasuryAccount.objects.filter(structure_id=activity.structure_id)
    found = accounts.filter(activity=activity).first()
    if found is not None:
        return found
    # Two first sales at once must not open two accounts: the activity's row is the lock.
    Activity.objects.select_for_update().filter(pk=activity.pk).first()
    found = accounts.filter(activity=activity).first()
    if found is not None:
        return found
    if activity.kind == Activity.Kind.INDIVIDUAL:
        membership = (ActivityMembership.objects.filter(activity=activity)
                      .select_related("person").order_by("joined_on", "id").first())
        if membership is not None:
            return individual_account_for(membership.person, activity.structure, actor=actor,
                                          kpa=activity.kpa)
    return ledger_services.open_treasury_account(
        actor=actor, structure=activity.structure, code=f"A-{activity.pk}",
        label=activity.name, kind=TreasuryAccount.Kind.COLLECTIVE, activity=activity)


def common_account_for(kpa: Kpa, *, actor: AnyUser) -> TreasuryAccount:
    """The KPA's common pot, in the books of its carrying structure."""
    structure = kpa.carrying_structure
    if structure is None:
        raise ValidationError(_("Ce KPA n'a pas de structure porteuse : il n'a pas de caisse "
                                "commune dans des comptes."))
    accounts = TreasuryAccount.objects.filter(structure=structure, kpa=kpa,
                                              kind=TreasuryAccount.Kind.COMMON)
    found = accounts.first()
    if found is not None:
        return found
    Kpa.objects.select_for_update().filter(pk=kpa.pk).first()
    found = accounts.first()
    if found is not None:
        return found
    return ledger_services.open_treasury_account(
        actor=actor, structure=structure, code=f"KPA-{kpa.pk}",
        label=f"Caisse commune - {kpa.name}"[:150], kind=TreasuryAccount.Kind.COMMON, kpa=kpa)


def ensure_account(structure: Structure, number: str, label: str, *,
                   actor: AnyUser | None) -> Account:
    """The general account, adding it as a sub-account of the chart when missing (the
    platform's own accounts, such as 6288 for the cooperative contribution); an addition is
    audited as `add_account`'s is."""
    account = Account.objects.filter(structure=structure, number=number).first()
    if account is not None:
        return account
    ledger_services.check_account_number(structure, number)
    account, created = Account.objects.get_or_create(
        structure=structure, number=number, defaults={"label": label[:150]})
    if created:
        audit.record(actor=actor, action="ledger.account.created", target=account)
    return account
