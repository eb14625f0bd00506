"""The charter and autonomy pages on a phone: the charter in force and the big button to commit to
it, the versions (fixed query counts), the differences with <ins>/<del> and a sign, drafts and
their vote, who has not read it (leads only), the structure's rule, the autonomy level and its
proposal; 404 for the outsider everywhere."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import TODAY, Cast
from kpa.core import dates
from kpa.directory.models import Kpa, RoleKind
from kpa.directory.tests.factories import give_role, person_with_login
from kpa.governance import charter
from kpa.governance.models import CharterAcknowledgement, CharterPolicy, CharterVersion, Proposal
from kpa.governance.tests.test_charter import ADOPTED_TEXT, NOW, adopted, decision_for, draft


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)
    monkeypatch.setattr(dates, "current_time", lambda: NOW)


def as_persona(client: Client, cast: Cast, persona: str) -> Client:
    client.force_login(cast.user(persona))
    return client


def text_of(response: Any) -> str:
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(without_tags.replace("&#x27;", "'").replace("\u202f", " ").split())


def url(name: str, *args: int) -> str:
    return reverse(f"governance:{name}", args=args)


ACK_BUTTON = "J'ai lu la charte et je m'engage à la respecter"


# -- the charter in force -------------------------------------------------------------------


def test_a_member_reads_the_charter_in_force_and_commits_to_it(cast: Cast,
                                                               client: Client) -> None:
    version = adopted(cast, decided_on=dt.date(2026, 3, 2))
    as_persona(client, cast, "cooperant")
    page = client.get(url("charter_kpa", cast.home.pk))
    assert page.status_code == 200
    html, text = page.content.decode(), text_of(page)
    assert "<h2>Notre charte</h2>" in html  # Markdown, its level-1 heading shifted down
    assert "Version 1, adoptée le 02/03/2026" in text
    assert version.decision is not None
    assert version.decision.get_absolute_url() in html
    assert ACK_BUTTON in text
    assert "Tu n'as pas encore dit que tu as lu" in text

    done = client.post(url("charter_acknowledge", version.pk))
    assert done.status_code == 302
    assert done["Location"] == url("charter_kpa", cast.home.pk)
    assert CharterAcknowledgement.objects.filter(version=version,
                                                 person=cast.cooperant).exists()
    after = text_of(client.get(url("charter_kpa", cast.home.pk)))
    assert "Tu as lu cette charte et tu t'es engagé·e à la respecter le 28/11/2026" in after
    assert ACK_BUTTON not in after


def test_a_cooperant_is_told_the_charter_holds_back_their_vote(cast: Cast,
                                                               client: Client) -> None:
    adopted(cast)
    CharterPolicy.objects.create(structure=cast.cae, acknowledgement_required=True)
    as_persona(client, cast, "cooperant")
    assert "tu ne peux pas voter" in text_of(client.get(url("charter_kpa", cast.home.pk)))
    # Staff do not vote: nothing to hold back.
    client.force_login(cast.user("referent"))
    assert "tu ne peux pas voter" not in text_of(client.get(url("charter_kpa", cast.home.pk)))


def test_a_kpa_without_a_charter_invites_to_draft_one(cast: Cast, client: Client) -> None:
    as_persona(client, cast, "benevole")
    page = client.get(url("charter_kpa", cast.home.pk))
    assert page.status_code == 200
    assert "pas encore adopté de charte" in text_of(page)
    assert url("charter_draft_new", cast.home.pk) in page.content.decode()
    assert ACK_BUTTON not in text_of(page)


def test_typed_html_in_a_charter_is_never_rendered(cast: Cast, client: Client) -> None:
    adopted(cast, "Texte <script>alert(1)</script> et [lien](javascript:alert(2))")
    as_persona(client, cast, "cooperant")
    html = client.get(url("charter_kpa", cast.home.pk)).content.decode()
    assert "<script>alert(1)" not in html
    assert "href=\"javascript" not in html


def test_the_charter_page_costs_the_same_queries_with_more_versions(
        cast: Cast, client: Client, django_assert_max_num_queries: Any,
        django_assert_num_queries: Any) -> None:
    adopted(cast)
    as_persona(client, cast, "cooperant")
    with django_assert_max_num_queries(11) as few:
        assert client.get(url("charter_kpa", cast.home.pk)).status_code == 200
    for n in range(4):
        adopted(cast, f"v{n}")
    with django_assert_num_queries(len(few)):
        assert client.get(url("charter_kpa", cast.home.pk)).status_code == 200


# -- versions, differences --------------------------------------------------------------------


def test_the_versions_list_shows_each_state_and_costs_fixed_queries(
        cast: Cast, client: Client, django_assert_max_num_queries: Any,
        django_assert_num_queries: Any) -> None:
    first = adopted(cast)
    proposed = draft(cast, "v2")
    charter.propose_charter_version(proposed, actor=cast.user("cooperant"), now=NOW)
    as_persona(client, cast, "cooperant")
    with django_assert_max_num_queries(8) as few:
        page = client.get(url("charter_versions", cast.home.pk))
    text = text_of(page)
    assert "Version 2 Projet" in text
    assert "Proposée au vote : Brouillon" in text
    assert "Version 1 Adoptée" in text
    assert "Adoptée le 28/11/2026" in text
    assert first.get_absolute_url() in page.content.decode()
    for n in range(3):
        charter.propose_charter_version(draft(cast, f"v{n}"), actor=cast.user("cooperant"),
                                        now=NOW)
        adopted(cast, f"w{n}")
    with django_assert_num_queries(len(few)):
        assert client.get(url("charter_versions", cast.home.pk)).status_code == 200


def test_the_comparison_shows_the_version_in_force_against_the_one_before(
        cast: Cast, client: Client, django_assert_max_num_queries: Any) -> None:
    adopted(cast, "Titre\nOn range.\nOn vote.")
    adopted(cast, "Titre\nOn range le soir.\nOn vote.")
    draft(cast, "Tout autre chose")
    as_persona(client, cast, "cooperant")
    with django_assert_max_num_queries(8):
        page = client.get(url("charter_compare", cast.home.pk))
    assert page.status_code == 200
    html, text = page.content.decode(), text_of(page)
    assert "De la version 1 à la version 2" in text
    assert "1 ligne ajoutée, 1 ligne retirée" in text
    assert re.search(r'<span class="sign" aria-hidden="true">\u2212</span><del>'
                     r'<span class="visually-hidden">Retiré : </span>On range\.</del>', html)
    assert re.search(r'<span class="sign" aria-hidden="true">\+</span><ins>'
                     r'<span class="visually-hidden">Ajouté : </span>On range le soir\.</ins>',
                     html)
    assert "Tout autre chose" not in text
    # Two selects choose any pair.
    assert '<select name="de"' in html
    assert '<select name="a"' in html
    chosen = text_of(client.get(url("charter_compare", cast.home.pk), {"de": 2, "a": 3}))
    assert "De la version 2 à la version 3" in chosen
    assert "3 lignes retirées" in chosen
    unknown = client.get(url("charter_compare", cast.home.pk), {"de": 1, "a": 9})
    assert unknown.status_code == 400


def test_a_single_version_has_nothing_to_compare(cast: Cast, client: Client) -> None:
    adopted(cast)
    as_persona(client, cast, "cooperant")
    assert "au moins deux versions" in text_of(client.get(url("charter_compare",
                                                              cast.home.pk)))


# -- drafts and their vote ------------------------------------------------------------------


def test_a_new_draft_starts_from_the_text_in_force_and_opens_on_its_page(
        cast: Cast, client: Client) -> None:
    adopted(cast)
    as_persona(client, cast, "benevole")
    form = client.get(url("charter_draft_new", cast.home.pk))
    assert form.status_code == 200
    assert "On partage les outils." in form.content.decode()
    saved = client.post(url("charter_draft_new", cast.home.pk), {"body": "## Nouvelle\n\nOui."})
    version = CharterVersion.objects.get(number=2)
    assert saved.status_code == 302
    assert saved["Location"] == version.get_absolute_url()
    assert version.created_by == cast.benevole
    page = client.get(version.get_absolute_url())
    assert "Proposer cette version au vote" in text_of(page)
    assert url("charter_draft_edit", version.pk) in page.content.decode()


def test_a_blank_draft_is_answered_on_the_form(cast: Cast, client: Client) -> None:
    as_persona(client, cast, "cooperant")
    page = client.post(url("charter_draft_new", cast.home.pk), {"body": "   "})
    assert page.status_code == 400
    assert "Écris le texte de la charte : il ne peut pas être vide." in text_of(page)
    assert not CharterVersion.objects.exists()


def test_a_draft_is_edited_and_an_adopted_version_is_not(cast: Cast, client: Client) -> None:
    version = draft(cast, "Premier jet")
    as_persona(client, cast, "cooperant")
    assert client.post(url("charter_draft_edit", version.pk),
                       {"body": "Second jet"}).status_code == 302
    version.refresh_from_db()
    assert version.body == "Second jet\n"
    charter.adopt_charter_version(version, decision=decision_for(cast.home), actor=None)
    refused = client.get(url("charter_draft_edit", version.pk), follow=True)
    assert "Une version adoptée ne change plus : rédige une nouvelle version." in text_of(
        refused)
    assert refused.redirect_chain[-1][0] == version.get_absolute_url()
    assert client.post(url("charter_draft_edit", version.pk),
                       {"body": "Retouche"}).status_code == 302
    version.refresh_from_db()
    assert version.body == "Second jet\n"
    assert "Modifier ce projet" not in text_of(client.get(version.get_absolute_url()))


def test_proposing_a_version_to_the_vote_leads_to_its_proposal(cast: Cast,
                                                             client: Client) -> None:
    version = draft(cast)
    as_persona(client, cast, "cooperant")
    done = client.post(url("charter_propose", version.pk))
    proposal = Proposal.objects.get(charter_version=version)
    assert done.status_code == 302
    assert done["Location"] == proposal.get_absolute_url()
    assert proposal.method == "consent"
    assert proposal.closes_at == NOW + dt.timedelta(days=7)
    again = client.post(url("charter_propose", version.pk), follow=True)
    assert again.redirect_chain[-1][0] == proposal.get_absolute_url()
    assert Proposal.objects.count() == 1
    assert "Proposer cette version au vote" not in text_of(client.get(
        version.get_absolute_url()))


def test_an_old_version_cannot_be_acknowledged_from_its_page(cast: Cast,
                                                            client: Client) -> None:
    first = adopted(cast)
    adopted(cast, "v2")
    as_persona(client, cast, "cooperant")
    page = client.get(first.get_absolute_url())
    assert "Une version plus récente l'a remplacée." in text_of(page)
    assert ACK_BUTTON not in text_of(page)
    refused = client.post(url("charter_acknowledge", first.pk), follow=True)
    assert "n'est pas la charte en vigueur" in text_of(refused)
    assert not CharterAcknowledgement.objects.exists()


# -- who has not read it --------------------------------------------------------------------


def test_leads_see_who_has_not_read_the_charter_coopérants_first(
        cast: Cast, client: Client, django_assert_max_num_queries: Any,
        django_assert_num_queries: Any) -> None:
    version = adopted(cast)
    charter.acknowledge_charter(version, actor=cast.user("benevole"), now=NOW)
    CharterPolicy.objects.create(structure=cast.cae, acknowledgement_required=True)
    as_persona(client, cast, "referent")
    with django_assert_max_num_queries(11) as few:
        page = client.get(url("charter_pending", cast.home.pk))
    assert page.status_code == 200
    text = text_of(page)
    assert "5 personnes n'ont pas encore dit avoir lu la version 1" in text
    assert text.index("Quentin") < text.index("Animateur")
    assert text.index("Cooperant") < text.index("Referent")
    assert "Benevole" not in text
    assert text.count("ne peut pas voter") == 2
    for n in range(4):
        newcomer = person_with_login(f"nouveau{n}", first_name=f"Nouveau{n}", last_name="Venu")
        give_role(newcomer, RoleKind.COOPERANT, cast.home, starts_on=dt.date(2026, 2, 1))
    with django_assert_num_queries(len(few)):
        assert "Nouveau3" in text_of(client.get(url("charter_pending", cast.home.pk)))


@pytest.mark.parametrize("persona", ["cooperant", "benevole", "accompagnateur"])
def test_the_pending_list_is_for_leads_only(cast: Cast, client: Client, persona: str) -> None:
    adopted(cast)
    as_persona(client, cast, persona)
    assert client.get(url("charter_pending", cast.home.pk)).status_code == 403
    assert "Qui n'a pas encore lu" not in text_of(client.get(url("charter_kpa", cast.home.pk)))


# -- the structure's rule -------------------------------------------------------------------


def test_the_gestionnaire_sets_the_structures_rule(cast: Cast, client: Client) -> None:
    as_persona(client, cast, "gestionnaire")
    index = client.get(url("charter_index"))
    assert url("charter_policy", cast.cae.pk) in index.content.decode()
    assert client.get(url("charter_policy", cast.cae.pk)).status_code == 200
    saved = client.post(url("charter_policy", cast.cae.pk), {"required": "on"})
    assert saved.status_code == 302
    assert CharterPolicy.objects.get(structure=cast.cae).acknowledgement_required
    assert 'checked' in client.get(url("charter_policy", cast.cae.pk)).content.decode()


def test_the_comptable_sees_the_rule_is_not_theirs_to_set(cast: Cast, client: Client) -> None:
    as_persona(client, cast, "comptable")
    assert client.get(url("charter_policy", cast.cae.pk)).status_code == 403
    assert client.post(url("charter_policy", cast.cae.pk),
                       {"required": "on"}).status_code == 403
    assert not CharterPolicy.objects.exists()


# -- autonomy -------------------------------------------------------------------------------


def test_the_autonomy_page_says_what_the_level_means_and_proposes_another(
        cast: Cast, client: Client) -> None:
    as_persona(client, cast, "cooperant")
    page = client.get(url("autonomy", cast.home.pk))
    assert page.status_code == 200
    text = text_of(page)
    assert "Aujourd'hui : Supervisé" in text
    assert "donne son accord avant que chaque vote s'ouvre" in text
    assert "Proposer de passer en « Autonome »" in text
    assert "Proposer de passer en « Supervisé »" not in text
    done = client.post(url("autonomy_propose", cast.home.pk), {"level": "autonomous"})
    proposal = Proposal.objects.get(autonomy_target=Kpa.Autonomy.AUTONOMOUS)
    assert done.status_code == 302
    assert done["Location"] == proposal.get_absolute_url()
    assert proposal.method == "majority"
    after = text_of(client.get(url("autonomy", cast.home.pk)))
    assert "Une proposition est en cours" in after
    assert "Proposer de passer en" not in after


def test_a_level_that_does_not_exist_is_refused(cast: Cast, client: Client) -> None:
    as_persona(client, cast, "cooperant")
    refused = client.post(url("autonomy_propose", cast.home.pk), {"level": "royaume"},
                          follow=True)
    assert "Choisis un niveau d'autonomie de la liste." in text_of(refused)
    assert not Proposal.objects.exists()


# -- out of reach ---------------------------------------------------------------------------


def test_the_outsider_finds_nothing(cast: Cast, client: Client) -> None:
    version = adopted(cast)
    other = draft(cast, "v2")
    as_persona(client, cast, "outsider")
    for page in (url("charter_kpa", cast.home.pk), url("charter_versions", cast.home.pk),
                 url("charter_compare", cast.home.pk), url("charter_pending", cast.home.pk),
                 url("charter_draft_new", cast.home.pk), url("charter_version", version.pk),
                 url("charter_draft_edit", other.pk), url("autonomy", cast.home.pk),
                 url("charter_policy", cast.cae.pk)):
        assert client.get(page).status_code == 404, page
    for action in (url("charter_acknowledge", version.pk), url("charter_propose", other.pk),
                   url("autonomy_propose", cast.home.pk), url("charter_draft_new", cast.home.pk),
                   url("charter_policy", cast.cae.pk)):
        assert client.post(action, {"body": "x", "level": "autonomous",
                                    "required": "on"}).status_code == 404, action
    assert not CharterAcknowledgement.objects.exists()
    assert not Proposal.objects.exists()
    assert CharterVersion.objects.count() == 2
    assert not CharterPolicy.objects.exists()
    assert ADOPTED_TEXT.strip()[:10] not in text_of(client.get(url("charter_index")))


def test_the_outsider_probe_finds_nothing_of_the_home_charter(cast: Cast) -> None:
    """The project's probe, on the charter and autonomy routes, with the home KPA's charter
    (carrying the secret marker) adopted, a draft put to the vote and the structure's rule."""
    from conftest import SECRET_MARKER
    from kpa.core.models import ApiToken
    from tests.test_probe import probe

    version = adopted(cast, f"Charte {SECRET_MARKER}")
    charter.acknowledge_charter(version, actor=cast.user("cooperant"), now=NOW)
    proposed = draft(cast, f"Projet {SECRET_MARKER}")
    proposal = charter.propose_charter_version(proposed, actor=cast.user("cooperant"), now=NOW)
    CharterPolicy.objects.create(structure=cast.cae, acknowledgement_required=True)
    secret = ApiToken.new_secret()
    ApiToken.objects.create(user=cast.user("outsider"), prefix=secret[:8],
                            digest=ApiToken.digest_of(secret))
    outsider = Client(HTTP_AUTHORIZATION=f"Bearer {secret}", raise_request_exception=False)
    outsider.force_login(cast.user("outsider"))
    ids = sorted({version.pk, proposed.pk, proposal.pk, cast.home.pk, cast.cae.pk,
                  cast.elsewhere.pk, cast.other_structure.pk})
    probed = probe(outsider, cast, ids, lambda route: route.startswith((
        "gouvernance/charte/", "api/v1/governance/charter", "api/v1/governance/autonomy")))
    assert probed > 80
