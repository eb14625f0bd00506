"""Activities ("enseignes"): their rules, who may run them, who sees them, their pages and API.

The rules: an activity belongs to one KPA and its carrying structure; an individual activity
has exactly one member at a time; members are current coopérants of the KPA; a name is not
taken twice among the KPA's open activities; periods end after they start (database checks
too). Runs it: whoever may invite into the KPA. Sees it: whoever reaches the KPA.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertRedirects

from conftest import SECRET_MARKER, TODAY, Cast
from kpa.core import dates
from kpa.core.models import AuditEvent
from kpa.core.services import create_api_token
from kpa.directory import permissions, services
from kpa.directory import views as directory_views
from kpa.directory.models import Activity, ActivityMembership, Person, RoleKind
from kpa.directory.selectors import activities_for
from kpa.directory.tests.factories import (
    ActivityFactory,
    PersonFactory,
    give_role,
    join_activity,
)

D = dt.date
START = D(2026, 3, 2)  # after every role of the cast began (2026-01-05), before TODAY
API = "/api/v1"

MANAGERS = ["referent", "animateur", "gestionnaire", "coordinateur", "admin"]
NOT_MANAGERS = ["cooperant", "benevole", "accompagnateur", "comptable", "outsider"]
HOME_READERS = ["cooperant", "referent", "animateur", "accompagnateur", "benevole",
                "gestionnaire", "comptable", "coordinateur", "admin"]


@pytest.fixture(autouse=True)
def _frozen_today(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """Pages and API see the same day as the services here (the cast's TODAY)."""
    monkeypatch.setattr(directory_views, "local_today", lambda: TODAY)
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def create(cast: Cast, *, persona: str = "referent", name: str = "Friperie solidaire",
           kind: str = Activity.Kind.COLLECTIVE, members: tuple[Person, ...] | None = None,
           started_on: dt.date = START, **extra: Any) -> Activity:
    return services.create_activity(
        actor=cast.user(persona), kpa=extra.pop("kpa", cast.home), name=name, kind=kind,
        started_on=started_on, today=TODAY,
        members=(cast.cooperant, cast.quiet_cooperant) if members is None else members,
        **extra,
    )


def events(action: str, target: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(
        action=action, target_type=target._meta.label_lower, target_id=str(target.pk)))


def written() -> dict[str, int]:
    return {model.__name__: model.objects.count()
            for model in (Activity, ActivityMembership, AuditEvent)}


def current_members(activity: Activity) -> set[int]:
    return set(activity.memberships.current(TODAY).values_list("person_id", flat=True))


def text_of(response: Any) -> str:
    return html.unescape(response.content.decode())


# --- Creating an activity ------------------------------------------------------------------

def test_a_referent_creates_a_collective_activity_carried_by_the_kpas_structure(cast: Cast):
    activity = create(cast, description="  Vêtements de seconde main.  ")

    assert activity.kpa == cast.home
    assert activity.structure == cast.home.carrying_structure == cast.cae
    assert activity.description == "Vêtements de seconde main."
    assert activity.ended_on is None
    assert set(activity.members.all()) == {cast.cooperant, cast.quiet_cooperant}
    assert {m.joined_on for m in activity.memberships.all()} == {START}
    [event] = events("directory.activity.created", activity)
    assert event.actor == cast.user("referent")
    assert event.data["kind"] == "collective"
    assert sorted(event.data["members"]) == sorted([cast.cooperant.pk,
                                                    cast.quiet_cooperant.pk])


def test_an_individual_activity_has_exactly_one_member(cast: Cast):
    activity = create(cast, name="Couture", kind=Activity.Kind.INDIVIDUAL,
                      members=(cast.cooperant,))

    assert list(activity.members.all()) == [cast.cooperant]


@pytest.mark.parametrize("count", [0, 2])
def test_an_individual_activity_without_exactly_one_member_is_refused_in_french(
    cast: Cast, count: int
):
    members = (cast.cooperant, cast.quiet_cooperant)[:count]
    before = written()

    with pytest.raises(ValidationError) as refused:
        create(cast, kind=Activity.Kind.INDIVIDUAL, members=members)

    assert "exactement un membre" in refused.value.message_dict["members"][0]
    assert written() == before


@pytest.mark.parametrize("persona", ["referent", "benevole", "outsider"])
def test_only_current_cooperants_of_the_kpa_may_be_members(cast: Cast, persona: str):
    someone = getattr(cast, persona)
    before = written()

    with pytest.raises(ValidationError) as refused:
        create(cast, members=(cast.cooperant, someone))

    [message] = refused.value.message_dict["members"]
    assert message.startswith(f"{someone} n'a pas de rôle de coopérant·e en cours au")
    assert written() == before


def test_a_cooperant_whose_role_has_ended_may_no_longer_join(cast: Cast):
    leaver = PersonFactory.create()
    give_role(leaver, RoleKind.COOPERANT, cast.home, starts_on=D(2026, 1, 5),
              ends_on=D(2026, 6, 1))

    with pytest.raises(ValidationError) as refused:
        create(cast, members=(leaver,))
    assert "members" in refused.value.message_dict


def test_a_name_is_taken_once_among_the_kpas_open_activities(cast: Cast):
    first = create(cast, name="Friperie solidaire")

    with pytest.raises(ValidationError) as refused:
        create(cast, name="  friperie SOLIDAIRE ")
    assert "déjà une activité en cours nommée" in refused.value.message_dict["name"][0]

    # Another KPA may use the name; the same KPA may again once the first one has ended.
    create(cast, persona="outsider", kpa=cast.elsewhere, members=())
    services.end_activity(actor=cast.user("referent"), activity=first, ended_on=D(2026, 9, 1),
                          today=TODAY)
    assert create(cast, name="Friperie solidaire").pk != first.pk


def test_several_field_errors_are_reported_together(cast: Cast):
    with pytest.raises(ValidationError) as refused:
        create(cast, name="  ", kind="franchise", members=(cast.benevole,))

    assert set(refused.value.message_dict) == {"name", "kind", "members"}


@pytest.mark.parametrize("persona", MANAGERS)
def test_who_may_invite_into_the_kpa_may_create_its_activities(cast: Cast, persona: str):
    assert permissions.can_manage_activities(cast.user(persona), cast.home, today=TODAY)
    assert create(cast, persona=persona).kpa == cast.home


@pytest.mark.parametrize("persona", NOT_MANAGERS)
def test_others_are_refused_by_the_gate_and_nothing_is_written(cast: Cast, persona: str):
    before = written()

    assert not permissions.can_manage_activities(cast.user(persona), cast.home, today=TODAY)
    with pytest.raises(PermissionDenied):
        create(cast, persona=persona)
    assert written() == before


# --- Members -------------------------------------------------------------------------------

APRIL = D(2026, 4, 1)


def add(cast: Cast, activity: Activity, person: Person, joined_on: dt.date = APRIL,
        persona: str = "referent") -> ActivityMembership:
    return services.add_activity_member(actor=cast.user(persona), activity=activity,
                                        person=person, joined_on=joined_on, today=TODAY)


def test_a_cooperant_joins_an_activity_and_it_is_audited(cast: Cast):
    activity = create(cast, members=(cast.cooperant,))

    membership = add(cast, activity, cast.quiet_cooperant)

    assert (membership.person, membership.joined_on, membership.left_on) == (
        cast.quiet_cooperant, D(2026, 4, 1), None)
    assert current_members(activity) == {cast.cooperant.pk, cast.quiet_cooperant.pk}
    [event] = events("directory.activity.member_added", activity)
    assert event.actor == cast.user("referent")
    assert event.data == {"membership": membership.pk, "person": cast.quiet_cooperant.pk,
                          "joined_on": "2026-04-01"}


def test_a_cooperant_may_belong_to_several_activities(cast: Cast):
    create(cast, name="Friperie", members=(cast.cooperant,))
    create(cast, name="Couture", kind=Activity.Kind.INDIVIDUAL, members=(cast.cooperant,))

    assert cast.cooperant.activities.count() == 2


def test_a_current_member_cannot_be_added_twice(cast: Cast):
    activity = create(cast)
    before = written()

    with pytest.raises(ValidationError) as refused:
        add(cast, activity, cast.cooperant)

    assert "fait déjà partie" in refused.value.message_dict["person"][0]
    assert written() == before


def test_an_individual_activity_never_gets_a_second_current_member(cast: Cast):
    activity = create(cast, kind=Activity.Kind.INDIVIDUAL, members=(cast.cooperant,))

    with pytest.raises(ValidationError) as refused:
        add(cast, activity, cast.quiet_cooperant)
    assert "activité individuelle" in refused.value.message_dict["person"][0]

    # Once the first member has left, someone else may take over.
    first = activity.memberships.get()
    services.end_activity_membership(actor=cast.user("referent"), membership=first,
                                     left_on=D(2026, 5, 1), today=TODAY)
    add(cast, activity, cast.quiet_cooperant, joined_on=D(2026, 5, 1))
    assert current_members(activity) == {cast.quiet_cooperant.pk}


@pytest.mark.parametrize("persona", ["benevole", "referent", "outsider"])
def test_a_person_who_is_not_a_cooperant_of_the_kpa_cannot_join(cast: Cast, persona: str):
    activity = create(cast)

    with pytest.raises(ValidationError) as refused:
        add(cast, activity, getattr(cast, persona))
    assert "n'a pas de rôle de coopérant·e" in refused.value.message_dict["person"][0]


def test_joining_before_the_activity_starts_or_from_its_end_is_refused(cast: Cast):
    activity = create(cast, members=(cast.cooperant,))
    with pytest.raises(ValidationError) as refused:
        add(cast, activity, cast.quiet_cooperant, joined_on=D(2026, 3, 1))
    assert "précéder le début de l'activité (02/03/2026)" in (
        refused.value.message_dict["joined_on"][0])

    services.end_activity(actor=cast.user("referent"), activity=activity,
                          ended_on=D(2026, 12, 31), today=TODAY)
    with pytest.raises(ValidationError):
        add(cast, activity, cast.quiet_cooperant, joined_on=D(2026, 12, 31))
    # Joining an activity due to end: the membership ends with it.
    assert add(cast, activity, cast.quiet_cooperant).left_on == D(2026, 12, 31)


@pytest.mark.parametrize("persona", NOT_MANAGERS)
def test_only_managers_add_members(cast: Cast, persona: str):
    activity = create(cast, members=(cast.cooperant,))
    with pytest.raises(PermissionDenied):
        add(cast, activity, cast.quiet_cooperant, persona=persona)


def test_a_member_leaves_and_it_is_audited(cast: Cast):
    membership = create(cast).memberships.get(person=cast.cooperant)

    services.end_activity_membership(actor=cast.user("animateur"), membership=membership,
                                     left_on=D(2026, 10, 1), today=TODAY)

    membership.refresh_from_db()
    assert membership.left_on == D(2026, 10, 1)
    [event] = events("directory.activity.member_left", membership.activity)
    assert event.actor == cast.user("animateur")
    assert event.data["left_on"] == "2026-10-01"
    assert event.data["person"] == cast.cooperant.pk


@pytest.mark.parametrize("left_on", [START, D(2026, 1, 1)])
def test_leaving_on_or_before_joining_is_refused(cast: Cast, left_on: dt.date):
    membership = create(cast).memberships.get(person=cast.cooperant)

    with pytest.raises(ValidationError) as refused:
        services.end_activity_membership(actor=cast.user("referent"), membership=membership,
                                         left_on=left_on, today=TODAY)
    assert "après l'arrivée (02/03/2026)" in refused.value.message_dict["left_on"][0]
    membership.refresh_from_db()
    assert membership.left_on is None


def test_someone_who_has_left_cannot_leave_again(cast: Cast):
    membership = create(cast).memberships.get(person=cast.cooperant)
    services.end_activity_membership(actor=cast.user("referent"), membership=membership,
                                     left_on=D(2026, 10, 1), today=TODAY)

    with pytest.raises(ValidationError) as refused:
        services.end_activity_membership(actor=cast.user("referent"), membership=membership,
                                         left_on=D(2026, 11, 1), today=TODAY)
    assert "déjà quitté" in refused.value.message_dict["left_on"][0]


def test_an_outsider_cannot_end_a_membership(cast: Cast):
    membership = create(cast).memberships.get(person=cast.cooperant)
    with pytest.raises(PermissionDenied):
        services.end_activity_membership(actor=cast.user("outsider"), membership=membership,
                                         left_on=D(2026, 10, 1), today=TODAY)


# --- Ending an activity --------------------------------------------------------------------

def test_ending_an_activity_ends_its_open_memberships_and_is_audited(cast: Cast):
    activity = create(cast)
    early = activity.memberships.get(person=cast.quiet_cooperant)
    services.end_activity_membership(actor=cast.user("referent"), membership=early,
                                     left_on=D(2026, 6, 1), today=TODAY)

    services.end_activity(actor=cast.user("gestionnaire"), activity=activity,
                          ended_on=D(2026, 11, 1), today=TODAY)

    activity.refresh_from_db()
    assert activity.ended_on == D(2026, 11, 1)
    assert dict(activity.memberships.values_list("person_id", "left_on")) == {
        cast.cooperant.pk: D(2026, 11, 1), cast.quiet_cooperant.pk: D(2026, 6, 1)}
    assert current_members(activity) == set()
    [event] = events("directory.activity.ended", activity)
    assert event.actor == cast.user("gestionnaire")
    assert event.data["ended_on"] == "2026-11-01"
    assert len(event.data["memberships_ended"]) == 1
    assert not activities_for(cast.user("referent"), TODAY).open_on(TODAY).exists()


@pytest.mark.parametrize("ended_on", [START, D(2026, 2, 1)])
def test_an_activity_ends_after_it_starts(cast: Cast, ended_on: dt.date):
    activity = create(cast)

    with pytest.raises(ValidationError) as refused:
        services.end_activity(actor=cast.user("referent"), activity=activity,
                              ended_on=ended_on, today=TODAY)
    assert "après le début de l'activité (02/03/2026)" in (
        refused.value.message_dict["ended_on"][0])
    activity.refresh_from_db()
    assert activity.ended_on is None


def test_an_ended_activity_cannot_end_again(cast: Cast):
    activity = create(cast)
    services.end_activity(actor=cast.user("referent"), activity=activity,
                          ended_on=D(2026, 9, 1), today=TODAY)

    with pytest.raises(ValidationError) as refused:
        services.end_activity(actor=cast.user("referent"), activity=activity,
                              ended_on=D(2026, 10, 1), today=TODAY)
    assert "déjà terminée" in refused.value.message_dict["ended_on"][0]


@pytest.mark.parametrize("persona", NOT_MANAGERS)
def test_only_managers_end_an_activity(cast: Cast, persona: str):
    activity = create(cast)
    with pytest.raises(PermissionDenied):
        services.end_activity(actor=cast.user(persona), activity=activity,
                              ended_on=D(2026, 9, 1), today=TODAY)


def test_the_database_refuses_periods_that_end_before_they_start(cast: Cast):
    activity = create(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.filter(pk=activity.pk).update(ended_on=START)
    with pytest.raises(IntegrityError), transaction.atomic():
        activity.memberships.update(left_on=D(2026, 1, 1))


# --- Who sees what -------------------------------------------------------------------------

@pytest.mark.parametrize("persona", [*HOME_READERS, "outsider"])
def test_activities_are_seen_by_exactly_those_who_reach_their_kpa(cast: Cast, persona: str):
    home = create(cast)
    elsewhere = create(cast, persona="outsider", kpa=cast.elsewhere, name="Ailleurs",
                       members=())

    seen = set(activities_for(cast.user(persona), TODAY))

    expected = {
        "outsider": {elsewhere}, "coordinateur": {home, elsewhere}, "admin": {home, elsewhere},
    }.get(persona, {home})
    assert seen == expected


def test_an_anonymous_user_sees_no_activity(cast: Cast):
    from django.contrib.auth.models import AnonymousUser

    create(cast)
    assert not activities_for(AnonymousUser(), TODAY).exists()


def test_the_selector_loads_current_members_in_one_query_for_the_whole_list(
    cast: Cast, django_assert_num_queries: Any
):
    for n in range(4):
        create(cast, name=f"Activité {n}")
    user = cast.user("referent")
    activities_for(user, TODAY).count()  # settle the user's reach

    with django_assert_num_queries(2):
        names = {m.person.full_name for a in activities_for(user, TODAY)
                 for m in a.current_memberships}
    assert names == {cast.cooperant.full_name, cast.quiet_cooperant.full_name}


# --- Pages ---------------------------------------------------------------------------------

def logged_in(client: Client, cast: Cast, persona: str) -> Client:
    client.force_login(cast.user(persona))
    return client


def test_the_kpa_page_lists_activities_with_kind_members_and_dates(cast: Cast, client: Client):
    activity = create(cast)

    page = text_of(logged_in(client, cast, "cooperant").get(cast.home.get_absolute_url()))

    assert "Activités" in page
    assert activity.name in page
    assert "Collective" in page
    assert cast.cooperant.full_name in page
    assert "depuis le 02/03/2026" in page
    assert reverse("directory:activity_create", args=[cast.home.pk]) not in page


def test_the_kpa_page_offers_the_creation_form_to_managers(cast: Cast, client: Client):
    page = text_of(logged_in(client, cast, "referent").get(cast.home.get_absolute_url()))

    assert "Aucune activité enregistrée." in page
    assert reverse("directory:activity_create", args=[cast.home.pk]) in page


def test_a_referent_creates_an_activity_through_the_form(cast: Cast, client: Client):
    logged_in(client, cast, "referent")
    url = reverse("directory:activity_create", args=[cast.home.pk])
    form_page = text_of(client.get(url))
    assert "<legend>Membres</legend>" in form_page
    assert cast.quiet_cooperant.full_name in form_page
    assert cast.benevole.full_name not in form_page  # only coopérants are offered

    response = client.post(url, {
        "name": "Traiteur du quartier", "kind": "collective", "description": "",
        "started_on": "2026-03-02", "members": [cast.cooperant.pk, cast.quiet_cooperant.pk],
    })

    activity = Activity.objects.get(name="Traiteur du quartier")
    assertRedirects(response, activity.get_absolute_url(), fetch_redirect_response=False)
    page = text_of(client.get(activity.get_absolute_url()))
    assert "L'activité a été créée." in page
    assert cast.quiet_cooperant.full_name in page


def test_an_invalid_activity_form_answers_400_with_french_errors_and_writes_nothing(
    cast: Cast, client: Client
):
    logged_in(client, cast, "referent")
    before = written()

    response = client.post(reverse("directory:activity_create", args=[cast.home.pk]), {
        "name": "Couture", "kind": "individual", "started_on": "2026-03-02",
        "members": [cast.cooperant.pk, cast.quiet_cooperant.pk],
    })

    assert response.status_code == 400
    assert "Une activité individuelle a exactement un membre" in text_of(response)
    assert written() == before


def test_the_activity_page_shows_members_and_management_only_to_managers(
    cast: Cast, client: Client
):
    activity = create(cast, members=(cast.cooperant,))
    url = activity.get_absolute_url()
    add_url = reverse("directory:activity_member_add", args=[activity.pk])

    cooperant_page = text_of(logged_in(client, cast, "cooperant").get(url))
    assert cast.cooperant.full_name in cooperant_page
    assert add_url not in cooperant_page
    assert reverse("directory:activity_end", args=[activity.pk]) not in cooperant_page

    referent_page = text_of(logged_in(client, cast, "referent").get(url))
    assert add_url in referent_page
    assert reverse("directory:activity_end", args=[activity.pk]) in referent_page
    membership = activity.memberships.get()
    assert reverse("directory:activity_member_end", args=[membership.pk]) in referent_page
    # The form offers the KPA's coopérants who are not members yet.
    assert f'<option value="{cast.quiet_cooperant.pk}">' in referent_page
    assert f'<option value="{cast.cooperant.pk}">' not in referent_page


def test_a_referent_adds_a_member_ends_a_membership_and_the_activity_through_the_pages(
    cast: Cast, client: Client
):
    activity = create(cast, members=(cast.cooperant,))
    logged_in(client, cast, "referent")

    response = client.post(reverse("directory:activity_member_add", args=[activity.pk]),
                           {"person": cast.quiet_cooperant.pk, "joined_on": "2026-04-01"})
    assertRedirects(response, activity.get_absolute_url(), fetch_redirect_response=False)
    assert current_members(activity) == {cast.cooperant.pk, cast.quiet_cooperant.pk}

    membership = activity.memberships.get(person=cast.quiet_cooperant)
    response = client.post(reverse("directory:activity_member_end", args=[membership.pk]),
                           {"left_on": "2026-10-01"})
    assertRedirects(response, activity.get_absolute_url(), fetch_redirect_response=False)
    assert current_members(activity) == {cast.cooperant.pk}

    response = client.post(reverse("directory:activity_end", args=[activity.pk]),
                           {"ended_on": "2026-11-01"}, follow=True)
    assert "L'activité est terminée." in text_of(response)
    activity.refresh_from_db()
    assert activity.ended_on == D(2026, 11, 1)


def test_refusals_of_the_member_pages_are_shown_on_their_fields_never_a_500(
    cast: Cast, client: Client
):
    activity = create(cast, kind=Activity.Kind.INDIVIDUAL, members=(cast.cooperant,))
    logged_in(client, cast, "referent")
    before = written()

    second = client.post(reverse("directory:activity_member_add", args=[activity.pk]),
                         {"person": cast.quiet_cooperant.pk, "joined_on": "2026-04-01"})
    too_early = client.post(
        reverse("directory:activity_member_end", args=[activity.memberships.get().pk]),
        {"left_on": "2026-01-01"})
    inverted = client.post(reverse("directory:activity_end", args=[activity.pk]),
                           {"ended_on": "2026-01-01"})

    assert second.status_code == too_early.status_code == inverted.status_code == 400
    assert "une activité individuelle n'a qu'un membre" in text_of(second)
    assert "Le départ doit venir après l'arrivée (02/03/2026)" in text_of(too_early)
    assert "La fin doit venir après le début de l'activité" in text_of(inverted)
    assert written() == before


@pytest.mark.parametrize("persona", ["cooperant", "accompagnateur", "comptable"])
def test_members_who_may_not_manage_get_404_on_the_forms_and_nothing_is_written(
    cast: Cast, client: Client, persona: str
):
    activity = create(cast, members=(cast.cooperant,))
    membership = activity.memberships.get()
    logged_in(client, cast, persona)
    before = written()

    assert client.get(activity.get_absolute_url()).status_code == 200
    for url, data in (
        (reverse("directory:activity_create", args=[cast.home.pk]),
         {"name": "X", "kind": "collective", "started_on": "2026-03-02"}),
        (reverse("directory:activity_member_add", args=[activity.pk]),
         {"person": cast.quiet_cooperant.pk, "joined_on": "2026-04-01"}),
        (reverse("directory:activity_member_end", args=[membership.pk]), {"left_on": "2026-10-01"}),
        (reverse("directory:activity_end", args=[activity.pk]), {"ended_on": "2026-10-01"}),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, data).status_code == 404, url
    assert written() == before


def test_every_activity_page_answers_404_to_the_outsider(cast: Cast, client: Client):
    activity = create(cast, name=f"Friperie {SECRET_MARKER}", members=(cast.cooperant,))
    membership = activity.memberships.get()
    logged_in(client, cast, "outsider")
    before = written()

    for url in (activity.get_absolute_url(),
                reverse("directory:activity_create", args=[cast.home.pk]),
                reverse("directory:activity_member_add", args=[activity.pk]),
                reverse("directory:activity_member_end", args=[membership.pk]),
                reverse("directory:activity_end", args=[activity.pk])):
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 404, (method, url)
            assert SECRET_MARKER not in response.content.decode()
    assert written() == before


@pytest.mark.parametrize("persona", ["cooperant", "referent", "gestionnaire", "coordinateur"])
def test_the_kpa_page_runs_the_same_queries_whatever_the_number_of_activities(
    cast: Cast, client: Client, persona: str, django_assert_max_num_queries: Any,
    django_assert_num_queries: Any,
):
    create(cast, name="Première", members=(cast.cooperant,))
    logged_in(client, cast, persona)
    url = cast.home.get_absolute_url()
    client.get(url)  # warm up: the first request may settle the session

    # The page's own budget (test_views) plus two: the activities and their current members.
    with django_assert_max_num_queries(12) as small:
        response = client.get(url)
    assert response.status_code == 200
    rows_before = response.content.count(b"<tr")

    for n in range(5):
        newcomer = PersonFactory.create()
        give_role(newcomer, RoleKind.COOPERANT, cast.home, starts_on=D(2026, 1, 5))
        activity = ActivityFactory.create(kpa=cast.home, name=f"Activité {n}",
                                          started_on=START)
        join_activity(activity, newcomer)
        join_activity(activity, cast.cooperant)

    with django_assert_num_queries(len(small)):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.count(b"<tr") >= rows_before + 5
    assert "Activité 4" in text_of(response)


# --- API -----------------------------------------------------------------------------------

def api(cast: Cast, persona: str) -> Client:
    _, secret = create_api_token(actor=None, user=cast.user(persona))
    return Client(headers={"Authorization": f"Bearer {secret}"})


def post_json(client: Client, url: str, data: Any) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


@pytest.mark.parametrize("persona", [*HOME_READERS, "outsider"])
def test_the_api_lists_and_opens_only_the_activities_in_reach(cast: Cast, persona: str):
    home = create(cast, name=f"Friperie {SECRET_MARKER}")
    elsewhere = create(cast, persona="outsider", kpa=cast.elsewhere, name="Ailleurs",
                       members=())
    client = api(cast, persona)
    visible = {"outsider": {elsewhere.pk}, "coordinateur": {home.pk, elsewhere.pk},
               "admin": {home.pk, elsewhere.pk}}.get(persona, {home.pk})

    body = client.get(f"{API}/activities").json()

    assert {item["id"] for item in body["items"]} == visible
    assert body["count"] == len(visible)
    for activity in (home, elsewhere):
        response = client.get(f"{API}/activities/{activity.pk}")
        if activity.pk in visible:
            assert response.status_code == 200
        else:
            assert response.status_code == 404
            assert response.json() == {"detail": "Introuvable."}
            assert SECRET_MARKER not in response.content.decode()


def test_an_api_activity_shows_its_kpa_structure_and_current_members(cast: Cast):
    activity = create(cast)
    services.end_activity_membership(
        actor=cast.user("referent"), membership=activity.memberships.get(
            person=cast.quiet_cooperant), left_on=D(2026, 6, 1), today=TODAY)

    body = api(cast, "cooperant").get(f"{API}/activities/{activity.pk}").json()

    assert body["kind"] == "collective"
    assert body["started_on"] == "2026-03-02"
    assert body["ended_on"] is None
    assert body["kpa"] == {"id": cast.home.pk, "name": cast.home.name}
    assert body["structure"] == {"id": cast.cae.pk, "name": cast.cae.name}
    assert body["members"] == [{
        "membership_id": activity.memberships.get(person=cast.cooperant).pk,
        "person_id": cast.cooperant.pk, "first_name": cast.cooperant.first_name,
        "last_name": cast.cooperant.last_name, "joined_on": "2026-03-02", "left_on": None,
    }]


def test_the_api_list_runs_a_fixed_number_of_queries(
    cast: Cast, django_assert_max_num_queries: Any
):
    for n in range(8):
        activity = ActivityFactory.create(kpa=cast.home, name=f"Activité {n}", started_on=START)
        join_activity(activity, cast.cooperant)
        join_activity(activity, cast.quiet_cooperant)
    client = api(cast, "referent")

    # Token (1) + last use (1) + reach (2) + count (1) + page (1) + members (1).
    with django_assert_max_num_queries(7):
        response = client.get(f"{API}/activities")
    assert response.json()["count"] == 8
    assert all(len(item["members"]) == 2 for item in response.json()["items"])


VALID_ACTIVITY = {"name": "Traiteur du quartier", "kind": "collective",
                  "started_on": "2026-03-02"}


def test_a_referent_creates_an_activity_through_the_api(cast: Cast):
    payload = {**VALID_ACTIVITY, "kpa_id": cast.home.pk,
               "members": [cast.cooperant.pk, cast.quiet_cooperant.pk]}

    response = post_json(api(cast, "referent"), f"{API}/activities", payload)

    assert response.status_code == 201, response.content
    body = response.json()
    activity = Activity.objects.get(pk=body["id"])
    assert activity.structure == cast.cae
    assert {m["person_id"] for m in body["members"]} == {cast.cooperant.pk,
                                                        cast.quiet_cooperant.pk}
    assert events("directory.activity.created", activity)


def test_api_rules_answer_422_in_french_per_field(cast: Cast):
    create(cast, name="Traiteur du quartier")
    payload = {**VALID_ACTIVITY, "kpa_id": cast.home.pk, "kind": "individual",
               "members": [cast.cooperant.pk, cast.benevole.pk]}
    client = api(cast, "referent")
    before = written()

    response = post_json(client, f"{API}/activities", payload)

    assert response.status_code == 422
    errors: dict[str, list[str]] = {}
    for error in response.json()["detail"]:
        errors.setdefault(error["loc"][-1], []).append(error["msg"])
    assert set(errors) == {"name", "members"}
    assert "déjà une activité en cours nommée « Traiteur du quartier »" in errors["name"][0]
    assert any("exactement un membre" in msg for msg in errors["members"])
    assert any(msg.startswith(str(cast.benevole)) for msg in errors["members"])
    assert written() == before


def test_unknown_members_answer_422_without_revealing_anything(cast: Cast):
    payload = {**VALID_ACTIVITY, "kpa_id": cast.home.pk, "members": [cast.outsider.pk, 9876543]}

    response = post_json(api(cast, "referent"), f"{API}/activities", payload)

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "members"]
    assert error["msg"] == f"Personne introuvable : {cast.outsider.pk}, 9876543."


def test_an_invalid_kind_or_date_answers_422_naming_the_field(cast: Cast):
    client = api(cast, "referent")
    for change, field in (({"kind": "franchise"}, "kind"), ({"started_on": "demain"},
                                                             "started_on")):
        payload = {**VALID_ACTIVITY, "kpa_id": cast.home.pk, **change}
        response = post_json(client, f"{API}/activities", payload)
        assert response.status_code == 422
        assert field in {error["loc"][-1] for error in response.json()["detail"]}


def test_the_api_refuses_creation_with_404_out_of_reach_and_403_without_the_right(cast: Cast):
    payload = {**VALID_ACTIVITY, "kpa_id": cast.home.pk}
    outsider_client, cooperant_client = api(cast, "outsider"), api(cast, "cooperant")
    before = written()

    outsider = post_json(outsider_client, f"{API}/activities", payload)
    cooperant = post_json(cooperant_client, f"{API}/activities",
                          {**payload, "members": [9876543]})

    assert outsider.status_code == 404
    assert outsider.json() == {"detail": "Introuvable."}
    assert cooperant.status_code == 403
    assert written() == before


def test_oversized_ids_answer_404_or_422_never_a_500(cast: Cast):
    client = api(cast, "admin")
    huge = 9 * 10**29

    assert client.get(f"{API}/activities/{huge}").status_code == 404
    for payload in ({**VALID_ACTIVITY, "kpa_id": huge},
                    {**VALID_ACTIVITY, "kpa_id": cast.home.pk, "members": [huge]}):
        assert post_json(client, f"{API}/activities", payload).status_code in {404, 422}


def test_an_oversized_member_id_in_the_form_is_a_form_error(cast: Cast, client: Client):
    logged_in(client, cast, "referent")
    response = client.post(reverse("directory:activity_create", args=[cast.home.pk]), {
        "name": "X", "kind": "collective", "started_on": "2026-03-02",
        "members": [str(9 * 10**29)],
    })
    assert response.status_code == 400


def test_an_oversized_person_id_in_the_member_form_is_a_form_error(cast: Cast, client: Client):
    activity = create(cast, members=(cast.cooperant,))
    logged_in(client, cast, "referent")
    response = client.post(reverse("directory:activity_member_add", args=[activity.pk]),
                           {"person": str(9 * 10**29), "joined_on": "2026-04-01"})
    assert response.status_code == 400
