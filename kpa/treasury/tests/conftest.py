"""The sales app's shop (a CAE with open 2026 books, the cast's coopérant under an insured CAPE
with an individual activity "Couture Awa" and a collective "La Friperie", two customers, a
catalogue item) is where money comes from here too."""

from __future__ import annotations

import pytest

from conftest import Cast
from kpa.sales.tests.conftest import Shop, build_shop


@pytest.fixture
def shop(cast: Cast) -> Shop:
    return build_shop(cast)
