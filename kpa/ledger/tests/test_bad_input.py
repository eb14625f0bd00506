"""The bookkeeper's own bad input — junk in query strings, empty or absurd forms — never
answers 500 and never writes half of anything."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from kpa.core import dates
from kpa.ledger.models import Entry, FiscalYear
from kpa.ledger.tests.conftest import Ledger, sale

JUNK_QUERY = ("?format=pdf&compte=zz%00&journal=abc&page=-1&type=rien&separateur=%3B"
              "&etat=nimporte&q=%27%22%3C")
JUNK_POST = {"action": "letter", "lines": ["abc", "-1"], "date": "32/13/2026", "code": "",
             "form-TOTAL_FORMS": "x", "starts_on": "demain", "ends_on": "", "journal": "999",
             "number": "6" * 30, "label": "x" * 500, "confirm": "on", "kind": "bank",
             "allocations-TOTAL_FORMS": "1", "allocations-0-account": "zz",
             "allocations-0-amount": "1e999", "fec": "pas un fichier", "compte": "411"}


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: dt.date(2026, 11, 28))


def _ledger_routes() -> list[URLPattern]:
    resolver = get_resolver().url_patterns
    ledger = next(p for p in resolver if getattr(p, "namespace", None) == "ledger")
    return list(ledger.url_patterns)  # type: ignore[union-attr]


def _url(pattern: URLPattern, ids: dict[str, int]) -> str:
    kwargs = {name: ids[name] for name in pattern.pattern.regex.groupindex}
    return reverse(f"ledger:{pattern.name}", kwargs=kwargs)


def test_junk_from_the_bookkeeper_never_answers_500(ledger: Ledger, client: Client) -> None:
    entry = ledger.entry("VT", dt.date(2026, 3, 1), *sale("10"), validate=False)
    validated = ledger.entry("VT", dt.date(2026, 3, 2), *sale("20"))
    year = FiscalYear.objects.get(structure=ledger.structure)
    client.force_login(ledger.keeper)
    client.raise_request_exception = False
    seen = []
    for pattern in _ledger_routes():
        for entry_id in (entry.pk, validated.pk):
            url = _url(pattern, {"structure_id": ledger.structure.pk, "year_id": year.pk,
                                 "entry_id": entry_id})
            for response in (client.get(url + JUNK_QUERY), client.post(url, {}),
                             client.post(url + JUNK_QUERY, JUNK_POST)):
                seen.append((pattern.name, response.status_code))
                assert response.status_code < 500, (url, response.status_code)
    assert len({name for name, _status in seen}) == len(_ledger_routes())
    # Some of these posts are lawful actions on the draft (validate, delete); none of them may
    # touch the validated entry.
    stored = Entry.objects.get(pk=validated.pk)
    assert (stored.status, stored.label, stored.lines.count()) == ("validated", "Écriture", 2)
