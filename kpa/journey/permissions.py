"""The only gates of the journey. A journey holds personal data, so fewer people see it than
see the KPA: the person, the KPA's staff (référent, animateur, accompagnateur), the carrying
structure's gestionnaire and the platform administrator. The comptable and the coordinateur do
not need it and do not see it.

- the KPA's référent or animateur and the structure's gestionnaire move a journey forward
  (documents, insurance list, contract, activation, renewal decision, exit);
- only the gestionnaire validates an inscription for the structure and sets the structure's
  journey settings, and only the gestionnaire erases a person's data;
- only the person signs their contract in the platform;
- the person or their référent exports the person's data.
"""

from __future__ import annotations

import datetime as dt

from kpa.core.auth import AnyUser
from kpa.directory.models import Kpa, Structure
from kpa.directory.permissions import reach_of
from kpa.journey.models import Journey


def _is_own(user: AnyUser, journey: Journey, today: dt.date) -> bool:
    return reach_of(user, today).person_id == journey.person_id


def _manages_structure(user: AnyUser, structure_id: int, today: dt.date) -> bool:
    reach = reach_of(user, today)
    return reach.is_admin or structure_id in reach.managed_structures


def can_follow_kpa(user: AnyUser, kpa: Kpa, *, today: dt.date) -> bool:
    """Sees the board of the KPA's journeys."""
    reach = reach_of(user, today)
    return (reach.is_admin or kpa.pk in reach.staff_kpas
            or kpa.carrying_structure_id in reach.managed_structures)


def can_advance_kpa(user: AnyUser, kpa: Kpa, *, today: dt.date) -> bool:
    """Registers people, prepares insurance lists and contracts for the KPA."""
    reach = reach_of(user, today)
    return (reach.is_admin or kpa.pk in reach.inviter_kpas
            or kpa.carrying_structure_id in reach.managed_structures)


def can_view_journey(user: AnyUser, journey: Journey, *, today: dt.date) -> bool:
    reach = reach_of(user, today)
    return (_is_own(user, journey, today) or journey.kpa_id in reach.staff_kpas
            or _manages_structure(user, journey.structure_id, today))


def can_advance_journey(user: AnyUser, journey: Journey, *, today: dt.date) -> bool:
    reach = reach_of(user, today)
    return journey.kpa_id in reach.inviter_kpas or _manages_structure(
        user, journey.structure_id, today)


def can_upload_document(user: AnyUser, journey: Journey, *, today: dt.date) -> bool:
    return _is_own(user, journey, today) or can_advance_journey(user, journey, today=today)


def can_validate_journey(user: AnyUser, journey: Journey, *, today: dt.date) -> bool:
    return _manages_structure(user, journey.structure_id, today)


def can_sign_contract(user: AnyUser, journey: Journey, *, today: dt.date) -> bool:
    return _is_own(user, journey, today)


def can_export_person_data(user: AnyUser, journey: Journey, *, today: dt.date) -> bool:
    reach = reach_of(user, today)
    return (_is_own(user, journey, today) or journey.kpa_id in reach.inviter_kpas
            or _manages_structure(user, journey.structure_id, today))


def can_erase_person_data(user: AnyUser, journey: Journey, *, today: dt.date) -> bool:
    return _manages_structure(user, journey.structure_id, today)


def can_configure_structure(user: AnyUser, structure: Structure, *, today: dt.date) -> bool:
    return _manages_structure(user, structure.pk, today)
