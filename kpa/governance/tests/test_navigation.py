"""The "Gouvernance" link: every role of a KPA takes part in its governance (staff included),
a network's coordinator in the network's; a structure's staff alone do not."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import TODAY, Cast
from kpa.core import dates

LINK = f'href="{reverse("governance:home")}"'


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


@pytest.mark.parametrize(("persona", "shown"), [
    ("cooperant", True), ("referent", True), ("animateur", True), ("accompagnateur", True),
    ("benevole", True), ("coordinateur", True), ("admin", True), ("outsider", True),
    ("gestionnaire", False), ("comptable", False),
])
def test_the_link_is_offered_to_whoever_takes_part(cast: Cast, client: Client, persona: str,
                                                   shown: bool) -> None:
    client.force_login(cast.user(persona))
    page = client.get(reverse("directory:home")).content.decode()
    assert (LINK in page) is shown
