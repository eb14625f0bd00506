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
    audit_before = AuditEvent.objects.count()
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
    assert AuditEvent.objects.count() == audit_before, "an outsider's request wrote something"
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
