"""Fixtures shared by the governance tests."""

from __future__ import annotations

import pytest

from conftest import Cast
from kpa.directory.models import Person
from kpa.governance.tests import factories as gf


@pytest.fixture
def crowd(cast: Cast) -> dict[str, Person]:
    """Three more coopérants with a login, in the home KPA before any vote opens."""
    return {name: gf.add_cooperant(cast.home, name) for name in ("alice", "bruno", "chloe")}
