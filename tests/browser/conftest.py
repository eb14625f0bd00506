"""Browser journeys: Playwright's sync API driving Debian's chromium against a live server.

Chromium comes from the system (`apt install chromium`), never from `playwright install`.
Without it the journeys skip, with the reason; with KPA_REQUIRE_BROWSER=1 (set by .ci/run)
they fail instead, so CI can never go green without having driven a browser.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import PERSONA_NAMES, SECRET_MARKER, Cast, build_cast

CHROMIUM = os.environ.get("KPA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where chromium refuses its sandbox
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "kpa-demo-2026"
TIMEOUT_MS = 15_000

__all__ = ["PASSWORD", "PERSONA_NAMES", "SECRET_MARKER", "Cast", "field", "log_in"]


def browser_required() -> bool:
    return os.environ.get("KPA_REQUIRE_BROWSER", "") not in ("", "0", "false")


def _unavailable(reason: str) -> None:
    if browser_required():
        pytest.fail(f"{reason} (KPA_REQUIRE_BROWSER=1: the browser journeys must run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One chromium per test module; each test gets a fresh context (cookies, language)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -r requirements-dev.txt)")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no chromium at {CHROMIUM} (Debian: apt-get install chromium)")

    # Playwright's sync API keeps an asyncio loop "running" on this thread while it lives, so
    # Django would refuse the ORM here (data set-up, transactional_db's flush). The test code
    # stays synchronous; allow it for as long as the browser lives, then restore the guard.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Any, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh French page on the live server; fails on CSP violations and script errors."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="fr-FR",  # Accept-Language: LocaleMiddleware would otherwise pick English
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"uncaught script error: {exc}"))
    page.on(
        "console",
        lambda msg: problems.append(f"console: {msg.text}")
        if msg.type == "error" and "Content Security Policy" in msg.text
        else None,
    )
    try:
        yield page
        if getattr(request.node, "rep_call", None) and request.node.rep_call.failed:
            failures = request.config.rootpath / "test-artifacts" / "failures"
            failures.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.name)
            page.screenshot(path=str(failures / f"{name}.png"), full_page=True)
    finally:
        context.close()
    assert not problems, "the page broke in the browser:\n" + "\n".join(problems)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def browser_cast(transactional_db: None) -> Cast:
    """The shared persona cast, committed so the live server's thread sees it."""
    return build_cast()


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Path:
    path: Path = request.config.rootpath / "test-artifacts" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def field(page: Any, label: str) -> Any:
    """The form field labelled `label`, whatever suffix the form adds ("Nom :", "Nom*")."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*[:*]?\s*\*?$"))


def log_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/compte/connexion/")
    field(page, "Identifiant").fill(username)
    field(page, "Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def no_sideways_scroll(page: Any, where: str, width: int = 360) -> None:
    """The page fits `width` px. Measured once the page has loaded: until its stylesheets arrive
    a page is laid out unstyled, and a table not yet stacked would be measured too wide."""
    page.wait_for_load_state("load")
    measured = page.evaluate("document.documentElement.scrollWidth")
    assert measured <= width, f"{where} scrolls sideways at {width} px ({measured})"


def styled_box(locator: Any) -> dict[str, float]:
    """The element's box once its page has loaded, for the same reason: unstyled, a big button
    measures as a line of text."""
    locator.page.wait_for_load_state("load")
    box: dict[str, float] | None = locator.bounding_box()
    assert box is not None
    return box
