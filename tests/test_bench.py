"""`kpa bench` at a tiny scale: every scenario is measured and reported. No timing is asserted:
speed belongs to the bench itself, never to unit tests."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from kpa.ledger.models import Entry, EntryLine

SCENARIOS = {"trial_balance", "statements", "fec_export", "hledger"}


@pytest.mark.django_db
def test_the_bench_reports_every_scenario_and_leaves_the_configured_database_alone(
        tmp_path: Path) -> None:
    target = tmp_path / "var" / "bench.json"
    out = io.StringIO()

    call_command("bench", scale=0.002, json=str(target), runs=1, stdout=out)

    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["scale"] == 0.002
    assert data["vendor"] == connection.vendor
    assert abs(data["lines"] - 2000) <= 100  # ± 5 %
    assert 2000 / 4 <= data["entries"] <= 2000 / 2  # 2 to 4 lines an entry
    assert data["generation_seconds"] > 0
    assert {s["name"] for s in data["scenarios"]} == SCENARIOS
    for scenario in data["scenarios"]:
        if scenario["skipped"]:
            assert scenario["name"] == "hledger"
            assert shutil.which("hledger") is None
            continue
        assert scenario["ours"] > 0, scenario
        assert scenario["floor"] > 0, scenario
        assert scenario["ratio"] > 0, scenario
        assert scenario["target"] > 0, scenario
    assert data["memory"]["tracemalloc_peak_mib"] > 0
    assert data["memory"]["rss_growth_mib"] >= 0
    treasury = data["treasury"]
    assert treasury["accounts"] == 5000
    assert [s["name"] for s in treasury["scenarios"]] == [
        "treasury_overview", "treasury_account", "treasury_statement"]
    for scenario in treasury["scenarios"]:
        assert scenario["ours"] > 0, scenario
        assert scenario["floor"] > 0, scenario
    assert treasury["queries_constant"], treasury["extra"]
    sales = data["sales"]
    assert sales["invoices"] >= 10
    assert [s["name"] for s in sales["scenarios"]] == ["invoice_issuance"]
    assert sales["scenarios"][0]["ours"] > 0
    assert sales["scenarios"][0]["floor"] > 0
    assert sales["pdf"]["samples"] >= 3
    assert sales["pdf"]["median_seconds"] > 0
    governance = data["governance"]
    assert governance["ballots"] == 2000
    assert governance["grades"] == 2000 * governance["options"] == 20000
    assert [s["name"] for s in governance["scenarios"]] == ["judgment_tally"]
    assert governance["scenarios"][0]["ours"] > 0
    assert governance["scenarios"][0]["floor"] > 0
    assert sorted(governance["ranking"])[0] == 1
    assert governance["check_ok"], governance
    text = out.getvalue()
    assert "Balance générale" in text
    assert "Export FEC" in text
    assert "PDF + Factur-X" in text
    assert "Trésorerie : tous les comptes" in text
    assert "Jugement majoritaire : dépouillement" in text
    # Everything happened in a scratch database, since dropped.
    assert not Entry.objects.exists()
    assert not EntryLine.objects.exists()
    assert not get_user_model().objects.filter(username="bench").exists()


def test_the_bench_refuses_a_scale_that_is_not_positive() -> None:
    with pytest.raises(CommandError, match="--scale"):
        call_command("bench", scale=0, stdout=io.StringIO())
