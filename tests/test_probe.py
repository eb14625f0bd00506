"""The outsider probe: every URL pattern and API route, walked as someone from another KPA.

It is generic on purpose: it reads the URL resolver, so a route added tomorrow is probed
without touching this file. For each pattern it substitutes every primary key that exists in
the database (so whatever object the route names, the home KPA's is among them), sends GET
and an empty POST with the outsider's session and API token, and fails on
- any 500;
- any 200 whose body contains the home KPA's secret marker;
- any write: the audit trail must not grow.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from conftest import SECRET_MARKER, Cast
from kpa.core.models import ApiToken, AuditEvent

# Values for string converters; the walk still reaches the view and its 404.
STRING_SAMPLES = {
    "str": "x", "slug": "x", "path": "x", "uuid": "00000000-0000-0000-0000-000000000000",
}


def walk(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def converters_of(route: str, pattern: URLPattern) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, converter in getattr(pattern.pattern, "converters", {}).items():
        found[name] = type(converter).__name__.replace("Converter", "").lower()
    # Params of included prefixes live on the resolver; the route string still names them.


    for kind, name in re.findall(r"<(?:(\w+):)?(\w+)>", route):
        found.setdefault(name, kind or "str")
    return found


def all_primary_keys() -> list[int]:
    """Every primary key of the platform's data (our apps' models and the users). Django's own
    bookkeeping tables (permissions, content types, sessions) are left out: no route names
    them, and their hundreds of rows would multiply the walk for nothing."""
    keys: set[int] = set()
    for model in apps.get_models():
        ours = model.__module__.startswith("kpa.") or model._meta.label == "auth.User"
        if ours and model._meta.pk and model._meta.pk.get_internal_type() in {
            "AutoField", "BigAutoField", "IntegerField",
        }:
            keys.update(model._default_manager.values_list("pk", flat=True)[:200])
    return sorted(keys)


def concrete_urls(route: str, pattern: URLPattern, ids: list[int]) -> list[str]:


    params = converters_of(route, pattern)
    if not params:
        return ["/" + route.replace("^", "").replace("$", "")]
    choices = [
        [str(i) for i in ids] if kind == "int" else [STRING_SAMPLES.get(kind, "x")]
        for kind in params.values()
    ]
    urls = []
    for combo in itertools.product(*choices):
        values = dict(zip(params, combo, strict=True))
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m, v=values: v[m.group(1)], route)
        urls.append("/" + url.replace("^", "").replace("$", ""))
    return urls


@pytest.fixture
def outsider_client(cast: Cast) -> Client:
    secret = ApiToken.new_secret()
    ApiToken.objects.create(user=cast.user("outsider"), prefix=secret[:8],
                            digest=ApiToken.digest_of(secret))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}", raise_request_exception=False)
    client.force_login(cast.user("outsider"))
    return client


def test_the_probe_sees_every_route(cast: Cast) -> None:
    routes = [route for route, _ in walk(get_resolver())]
    assert any(route.startswith("api/v1/") for route in routes), "API routes must be walked"
    assert any("kpa/" in route for route in routes)
    assert len(routes) >= 20


# Pages meant for anyone: the inscription form lists the KPAs open to inscriptions, by name and
# with their carrying structure. Those public names are all they may show of the home KPA.
PUBLIC_ROUTES = {"parcours/inscription/", "parcours/inscription/<int:kpa_id>/"}


def without_public_names(body: bytes, cast: Cast) -> bytes:
    for name in (cast.home.name, cast.cae.name):
        body = body.replace(name.encode(), b"")
    return body


def probe(client: Client, cast: Cast, ids: list[int], wanted: Callable[[str], bool]) -> int:
    """Walk every route `wanted` keeps with every id; fail on a 500, a leak or a write."""
    # The one write an outsider may make here is on their own data: "Mon agenda" gives them a
    # secret address for their own calendar feed.
    own_writes = AuditEvent.objects.filter(action="governance.calendar_feed.reset",
                                           actor=cast.outsider.user)
    audit_before = AuditEvent.objects.count() - own_writes.count()
    leaks, errors, probed = [], [], 0
    for route, pattern in walk(get_resolver()):
        if not wanted(route):
            continue
        for url in concrete_urls(route, pattern, ids):
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                probed += 1
                if response.status_code >= 500:
                    errors.append(f"{method.upper()} {url} → {response.status_code}")
                body = b"".join(response.streaming_content) if response.streaming else (
                    response.content)
                if route in PUBLIC_ROUTES:
                    body = without_public_names(body, cast)
                if response.status_code == 200 and SECRET_MARKER.encode() in body:
                    leaks.append(f"{method.upper()} {url}")
    assert not errors, errors
    assert not leaks, f"the outsider saw another KPA's data at: {leaks}"
    assert AuditEvent.objects.count() - own_writes.count() == audit_before, (
        "an outsider's request wrote something")
    return probed


def test_an_outsider_reaches_nothing_of_another_kpa(cast: Cast, outsider_client: Client) -> None:
    # The admin answers the outsider (not staff) with its login page; see below.
    probed = probe(outsider_client, cast, all_primary_keys(),
                   lambda route: not (route.startswith("admin/") and "<" in route))
    assert probed > 100


def test_an_outsider_reaches_nothing_of_another_kpa_s_sales(
        cast: Cast, outsider_client: Client) -> None:
    """With the home KPA selling (issued invoice, sent quote, till), every selling page and
    API route, given the ids of those objects, stays closed to the outsider."""
    from kpa.sales import documents, till
    from kpa.sales.models import Customer
    from kpa.sales.tests.conftest import build_shop
    from kpa.sales.tests.helpers import accepted_quote, issued_invoice

    shop = build_shop(cast)
    Customer.objects.update(name=SECRET_MARKER + " client")
    issued_invoice(shop)
    accepted_quote(shop)
    documents.create_credit_note(actor=shop.manager, invoice=issued_invoice(shop),
                                 today=shop.today)
    shop_till = till.open_till(actor=shop.manager, activity=shop.friperie, name="Caisse",
                               today=shop.today)
    till.record_sale(actor=shop.seller, till=shop_till, method="cash", today=shop.today,
                     lines=[till.TillLineInput(description="Pull", quantity=1,
                                               unit_price_incl_vat=Decimal("6.00"),
                                               vat_rate="20.00", item=None)])
    ids = sorted({pk for model in apps.get_app_config("sales").get_models()
                  for pk in model._default_manager.values_list("pk", flat=True)}
                 | {shop.activity.pk, shop.friperie.pk, cast.cae.pk, cast.home.pk})
    probed = probe(outsider_client, cast, ids,
                   lambda route: route.startswith(("ventes/", "api/v1/sales/")))
    assert probed > 400


def test_an_outsider_reaches_nothing_of_another_kpa_s_treasury_and_purchases(
        cast: Cast, outsider_client: Client) -> None:
    """With the home KPA's money moving (an expense claim with its receipt, a supplier invoice,
    a contribution charged, a pay request, an envelope with a reward, a bank statement), every
    treasury and purchases page and API route, given those objects' ids, stays closed."""
    import datetime as dt

    from kpa.purchases import expenses
    from kpa.purchases.tests.test_supplier_helpers import posted
    from kpa.sales.tests.conftest import build_shop
    from kpa.sales.tests.helpers import issued_invoice
    from kpa.treasury import contribution, envelopes
    from kpa.treasury.tests.test_bank_helpers import import_sample
    from kpa.treasury.tests.test_contribution_helpers import opteos
    from kpa.treasury.tests.test_pay_support import account_of, fund, requested
    from kpa.treasury.tests.test_transfers import friperie_account
    from kpa.treasury.tests.test_transfers import fund as fund_collective

    shop = build_shop(cast)
    issued_invoice(shop)
    claim = expenses.create_claim(actor=shop.seller, activity=shop.activity,
                                  month=dt.date(2026, 11, 1), today=shop.today)
    expenses.add_line(actor=shop.seller, claim=claim, today=shop.today,
                      spent_on=dt.date(2026, 11, 20), category="supplies",
                      description=SECRET_MARKER + " fournitures", amount_incl_vat="12.00",
                      receipt=b"%PDF-1.4 " + SECRET_MARKER.encode(), receipt_name="ticket.pdf")
    expenses.submit_claim(actor=shop.seller, claim=claim, today=shop.today)
    posted(shop)
    opteos(shop)
    account = account_of(shop)
    fund(shop, account, "2000", day=dt.date(2026, 10, 5))
    contribution.run_month(actor=shop.manager, structure=cast.cae, month=dt.date(2026, 10, 1),
                           today=shop.today)
    requested(shop, account, shop.seller, "100", today=dt.date(2026, 11, 20))
    collective = friperie_account(shop)
    fund_collective(shop, collective, "500")
    envelope = envelopes.open_envelope(actor=shop.seller, source=collective,
                                       title=SECRET_MARKER + " mission", amount="200",
                                       today=shop.today)
    envelopes.declare_reward(actor=shop.seller, envelope=envelope, amount="50",
                             note=SECRET_MARKER, today=shop.today)
    import_sample(shop, "releve-ofx1.ofx")
    ids = sorted({pk for label in ("purchases", "treasury")
                  for model in apps.get_app_config(label).get_models()
                  for pk in model._default_manager.values_list("pk", flat=True)}
                 | {account.pk, collective.pk, shop.activity.pk, cast.cae.pk, cast.home.pk})
    probed = probe(outsider_client, cast, ids,
                   lambda route: route.startswith(("depenses/", "tresorerie/",
                                                   "api/v1/purchases/", "api/v1/treasury/")))
    assert probed > 400


def test_the_admin_turns_away_whoever_is_not_staff(cast: Cast,
                                                   outsider_client: Client) -> None:
    response = outsider_client.get("/admin/directory/person/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_an_outsider_reaches_nothing_of_another_kpa_s_governance(
        cast: Cast, outsider_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the home KPA's governance alive (a proposal of each method, open and closed, a
    secret vote with its ballots, a consent round with an objection, a comment, an attachment,
    decisions, a meeting with attendance and minutes, the charter adopted, acknowledged and
    redrafted, a self-assessment with evidence, a delegate, an internal answer to a network
    vote), every governance page and API route, given those objects' ids, stays closed.

    The outsider is référent of a KPA of the same network, so the network's proposals, register
    and framework are theirs to see: those hold no marker, and must show none of the home
    KPA's own rows (its internal answer to the network, its decisions)."""
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile

    from conftest import TODAY
    from kpa.core import dates
    from kpa.directory.models import Kpa, Person
    from kpa.governance import (
        assessment,
        ballots,
        charter,
        closing,
        delegates,
        framework,
        meetings,
        proposals,
    )
    from kpa.governance.models import (
        Comment,
        Decision,
        FrameworkCriterion,
        Method,
        NetworkDelegate,
        Objection,
        Proposal,
        ProposalAttachment,
        Proxy,
    )
    from kpa.governance.tests import factories as gf
    from kpa.governance.tests.test_ballots import LATER, to_objection_round

    # A network vote lists its KPAs and its author: names the whole network legitimately reads.
    # They lose the marker here, which stays in what only the home KPA may read.
    Kpa.objects.filter(pk=cast.home.pk).update(name="KPA Maison")
    cast.home.refresh_from_db()
    Person.objects.filter(pk=cast.coordinateur.pk).update(last_name="Réseau")
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)
    monkeypatch.setattr(dates, "current_time", lambda: LATER)
    secret = SECRET_MARKER
    referent, animateur = cast.user("referent"), cast.user("animateur")
    cooperant = gf.voter(cast, "cooperant")
    gf.voter(cast, "referent")  # a second elector with a login, to hold a proxy

    # Proposals of every method, open, closed, waiting, draft.
    majority = gf.make_proposal(cast, method=Method.MAJORITY, title=f"{secret} budget",
                                body=f"Le budget {secret}.", max_proxies=1)
    ballots.add_comment(majority, actor=cooperant, now=gf.NOW, body=f"Avis {secret}")
    ballots.add_attachment(majority, actor=referent, now=gf.NOW, upload=SimpleUploadedFile(
        "budget.pdf", b"%PDF-1.7\n% " + secret.encode()
        + b"\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"))
    ballots.give_proxy(majority, actor=cooperant, holder=cast.referent, now=gf.NOW)
    secret_vote = gf.make_proposal(cast, method=Method.MAJORITY, secret=True,
                                   title=f"{secret} vote secret")
    for user in (cooperant, referent):
        ballots.cast_vote(secret_vote, actor=user, now=gf.NOW, choice="for")
    judgment = gf.make_proposal(cast, method=Method.JUDGMENT, title=f"{secret} jugement",
                                options=[f"{secret} A", f"{secret} B"])
    ballots.cast_vote(judgment, actor=cooperant, now=gf.NOW,
                      grades={o.pk: 4 for o in judgment.options.all()})
    choice = gf.make_proposal(cast, method=Method.CHOICE, title=f"{secret} choix",
                              options=[f"{secret} X", f"{secret} Y"])
    ballots.cast_vote(choice, actor=cooperant, now=gf.NOW,
                      option_ids=[choice.options.order_by("position")[0].pk])
    consent = to_objection_round(cast, gf.make_proposal(cast, method=Method.CONSENT,
                                                        title=f"{secret} consentement"))
    ballots.raise_objection(consent, actor=cooperant, now=gf.NOW,
                            argument=f"Objection {secret}")
    gf.make_proposal(cast, method=Method.MAJORITY, title=f"{secret} brouillon", opened=False)
    waiting = gf.make_proposal(cast, method=Method.MAJORITY, title=f"{secret} en attente",
                               opened=False)
    assert proposals.open_proposal(waiting, actor=referent, now=gf.NOW).status == (
        Proposal.Status.AWAITING_APPROVAL)
    closed = gf.make_proposal(cast, method=Method.MAJORITY, title=f"{secret} clos")
    ballots.cast_vote(closed, actor=cooperant, now=gf.NOW, choice="for")
    closing.close_proposal(closed, actor=animateur, now=gf.NOW)

    # The network: a delegate, a vote answered by the KPA's internal proposal, a closed vote.
    delegates.designate_delegate(cast.home, actor=referent, person=cast.cooperant,
                                 starts_on=TODAY, today=TODAY)
    network_vote = gf.make_proposal(cast.network, method=Method.MAJORITY, title="Cadre 2027")
    internal = gf.make_proposal(cast, method=Method.MAJORITY, network_proposal=network_vote,
                                title=f"{secret} notre réponse au réseau")
    ballots.cast_vote(internal, actor=cooperant, now=gf.NOW, choice="against")
    closing.close_proposal(internal, actor=animateur, now=gf.NOW)
    network_closed = gf.make_proposal(cast.network, method=Method.MAJORITY, title="Cotisation")
    ballots.cast_vote(network_closed, actor=cooperant, now=gf.NOW, choice="for")
    closing.close_proposal(network_closed, actor=cast.user("coordinateur"), now=gf.NOW)

    # A meeting held this morning, its attendance, minutes, and the charter adopted there.
    meeting = meetings.plan_meeting(actor=referent, now=gf.NOW, kpa=cast.home,
                                    title=f"{secret} assemblée", agenda=f"Ordre {secret}",
                                    location=f"Salle {secret}",
                                    starts_at=gf.NOW - dt.timedelta(hours=2),
                                    ends_at=gf.NOW - dt.timedelta(hours=1),
                                    proposal_ids=[majority.pk])
    meetings.record_attendance(meeting, actor=referent, today=TODAY, statuses={
        cast.cooperant.pk: "present", cast.referent.pk: "present", cast.animateur.pk: "present"})
    meetings.publish_minutes(meeting, actor=referent, now=gf.NOW, minutes=f"Compte {secret}")
    version = charter.draft_charter_version(cast.home, actor=cooperant, today=TODAY,
                                            body=f"# Charte {secret}\n\nOn se respecte.\n")
    meetings.record_show_of_hands(meeting, actor=animateur, now=gf.NOW,
                                  title=f"{secret} charte", summary=f"Adoptée {secret}",
                                  votes_for=3, against=0, abstain=0, charter_version=version)
    charter.acknowledge_charter(version, actor=cooperant, now=gf.NOW)
    redraft = charter.draft_charter_version(cast.home, actor=referent, today=TODAY,
                                            body=f"# Charte {secret} v2\n\nOn partage.\n")

    # The framework, a draft amendment, and the KPA's self-assessment with evidence.
    current = framework.install_framework(cast.network, actor=None)
    amendment = framework.draft_framework_amendment(cast.network, actor=cast.user("coordinateur"),
                                                    label="Cadre 2027", today=TODAY)
    reading = assessment.start_assessment(cast.home, actor=cooperant, today=TODAY)
    criterion = FrameworkCriterion.objects.filter(pillar__version=current).first()
    assert criterion is not None
    assessment.answer_criterion(reading, actor=cooperant, criterion_id=criterion.pk,
                                status="met", evidence=f"Preuve {secret}", today=TODAY)

    # Pks are shared between tables, so the walk also reaches the outsider's own KPA, where an
    # empty POST of the self-assessment page would rightly start their KPA's reading: a write
    # of their own, not of the home KPA's. It exists beforehand, so the walk writes nothing.
    assessment.start_assessment(cast.elsewhere, actor=cast.user("outsider"), today=TODAY)

    kpa_decisions = Decision.objects.filter(kpa=cast.home)
    assert kpa_decisions.count() == 3  # the closed vote, the network answer, the charter
    assert Decision.objects.filter(network=cast.network).count() == 1
    version.refresh_from_db()
    assert version.status == "adopted"
    assert version.acknowledgements.count() == 1
    assert redraft.status == "draft"
    ids = sorted(
        {pk for model in (Proposal, Decision, Comment, ProposalAttachment, Proxy, Objection,
                          NetworkDelegate)
         for pk in model._default_manager.values_list("pk", flat=True)}
        | {meeting.pk, version.pk, redraft.pk, current.pk, amendment.pk, reading.pk,
           criterion.pk, amendment.pillars.values_list("pk", flat=True)[0],
           cast.home.pk, cast.network.pk, cast.cae.pk})
    probed = probe(outsider_client, cast, ids,
                   lambda route: route.startswith(("gouvernance/", "api/v1/governance/")))
    assert probed > 2000

    # What the outsider legitimately reads of the network: its rows, none of the home KPA's.
    for page, shown in ((f"/gouvernance/propositions/{network_vote.pk}/", "Cadre 2027"),
                        (f"/gouvernance/propositions/{network_closed.pk}/resultats/",
                         "Cotisation"),
                        (f"/gouvernance/decisions/reseau/{cast.network.pk}/", "Cotisation"),
                        ("/gouvernance/propositions/", "Cadre 2027")):
        response = outsider_client.get(page)
        assert response.status_code == 200, page
        assert shown.encode() in response.content, page
        assert secret.encode() not in response.content, page
    listed = outsider_client.get("/api/v1/governance/proposals").json()["items"]
    assert {row["id"] for row in listed} == set(
        Proposal.objects.filter(network=cast.network).values_list("pk", flat=True))
    registered = outsider_client.get("/api/v1/governance/decisions").json()["items"]
    assert {row["id"] for row in registered} == set(
        Decision.objects.filter(network=cast.network).values_list("pk", flat=True))
    for url in (f"/gouvernance/propositions/{internal.pk}/",
                f"/api/v1/governance/proposals/{internal.pk}"):
        assert outsider_client.get(url).status_code == 404
