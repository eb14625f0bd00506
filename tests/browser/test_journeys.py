"""What a person does in a real browser: log in, land on their role's home, invite, switch
language, use the keyboard, read the page on a 360 px phone.

Run alone with `make test PYTEST_ARGS="-m browser"`; screenshots land in
test-artifacts/screenshots/, failures' screenshots in test-artifacts/failures/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from kpa.directory.models import Person
from tests.browser.conftest import SECRET_MARKER, Cast, field, log_in, no_sideways_scroll

pytestmark = pytest.mark.browser

# The role panel each persona's home page shows — and none of the others' (DESIGN.md §5).
PANELS = {
    "cooperant": "Mon KPA",
    "benevole": "Mon KPA",
    "referent": "Les personnes de mon KPA",
    "animateur": "Les personnes de mon KPA",
    "accompagnateur": "Les personnes de mon KPA",
    "gestionnaire": "KPA portés par ma structure",
    "comptable": "KPA portés par ma structure",
    "coordinateur": "Tous les KPA du réseau",
    "admin": "Tous les KPA du réseau",
}
PHONE, DESKTOP = 360, 1280


def panel(page: Any, heading: str) -> Any:
    return page.locator("section").filter(
        has=page.get_by_role("heading", level=2, name=re.compile(rf"^{re.escape(heading)}\b"))
    )


@pytest.mark.parametrize("persona", list(PANELS))
def test_each_persona_lands_on_their_role_home(
    page: Any, browser_cast: Cast, screenshots: Path, persona: str
) -> None:
    log_in(page, persona)

    assert path_of(page) == "/", f"{persona} should land on the home page, not {page.url}"
    assert page.locator("h1").count() == 1
    expect_visible(panel(page, PANELS[persona]).first)
    others = set(PANELS.values()) - {PANELS[persona]}
    shown = [heading for heading in sorted(others) if panel(page, heading).count()]
    assert not shown, f"{persona} sees panels meant for other roles: {shown}"
    for landmark in ("banner", "navigation", "main", "contentinfo"):
        assert page.get_by_role(landmark).count() >= 1, f"no {landmark} landmark"

    page.set_viewport_size({"width": PHONE, "height": 780})
    page.screenshot(path=str(screenshots / f"home-{persona}-{PHONE}.png"), full_page=True)
    no_sideways_scroll(page, f"{persona}'s home", PHONE)

    page.set_viewport_size({"width": DESKTOP, "height": 900})
    page.screenshot(path=str(screenshots / f"home-{persona}-{DESKTOP}.png"), full_page=True)
    no_sideways_scroll(page, f"{persona}'s home", DESKTOP)


def test_outsider_does_not_see_the_home_kpa(page: Any, browser_cast: Cast) -> None:
    log_in(page, "outsider")
    expect_visible(page.get_by_role("main"))
    assert "KPA Ailleurs" in page.content(), "the outsider should see their own KPA"
    assert SECRET_MARKER not in page.content()

    response = page.goto(f"/kpa/{browser_cast.home.pk}/")
    assert response is not None
    assert response.status == 404
    assert SECRET_MARKER not in page.content()


def test_referent_invites_a_person_without_email(page: Any, browser_cast: Cast) -> None:
    log_in(page, "referent")
    page.get_by_role("link", name="Inviter une personne").first.click()
    assert path_of(page) == f"/kpa/{browser_cast.home.pk}/inviter/"

    field(page, "Prénom").fill("Awa")
    field(page, "Nom").fill("Diallo")
    expect_visible(field(page, "E-mail (facultatif)"))
    field(page, "Téléphone (facultatif)").fill("06 12 34 56 78")
    role = field(page, "Rôle")
    role.select_option(label=pick_option(role, r"^coop[ée]rant"))
    fill_date(field(page, "Début"), "2026-11-28")
    page.get_by_role("button", name="Inviter", exact=True).click()
    page.wait_for_load_state()

    assert path_of(page) == f"/kpa/{browser_cast.home.pk}/", page.url
    expect_visible(page.get_by_role("status"))
    row = page.get_by_role("row").filter(has_text="Awa Diallo")
    expect_visible(row)
    assert "Sans e-mail" in row.inner_text()
    awa = Person.objects.get(first_name="Awa", last_name="Diallo")
    assert not awa.email


def test_wrong_password_is_refused_in_french(page: Any, browser_cast: Cast) -> None:
    log_in(page, "cooperant", password="pas-le-bon-mot-de-passe")

    assert path_of(page) == "/compte/connexion/"
    assert page.evaluate("document.documentElement.lang").startswith("fr")
    alert = page.get_by_role("alert")
    expect_visible(alert)
    assert re.search(r"mot de passe", alert.inner_text(), re.IGNORECASE), alert.inner_text()
    assert "Mon KPA" not in page.content()


def test_switching_language_to_english(page: Any, browser_cast: Cast) -> None:
    log_in(page, "cooperant")
    assert page.evaluate("document.documentElement.lang").startswith("fr")

    language = field(page, "Langue")
    language.select_option(value="en")
    form = page.locator("form", has=language)
    if form.get_by_role("button").count():
        form.get_by_role("button").first.click()
    page.wait_for_load_state()

    page.wait_for_function("document.documentElement.lang.startsWith('en')")
    assert path_of(page) == "/", "the switch should bring the person back where they were"
    expect_visible(field(page, "Language"))
    expect_visible(page.get_by_role("heading", level=2, name="My KPA", exact=True))
    assert page.get_by_role("heading", level=2, name="Mon KPA", exact=True).count() == 0


def test_first_tab_reaches_the_skip_link(page: Any, browser_cast: Cast) -> None:
    log_in(page, "cooperant")
    page.keyboard.press("Tab")

    focused = page.evaluate(
        "({tag: document.activeElement.tagName, text: document.activeElement.textContent.trim(),"
        " href: document.activeElement.getAttribute('href')})"
    )
    assert focused["tag"] == "A", focused
    assert focused["text"] == "Aller au contenu", focused
    target = focused["href"]
    assert target.startswith("#"), target
    assert page.locator(target).count() == 1, f"the skip link points nowhere: {target}"

    page.keyboard.press("Enter")
    assert page.url.endswith(target)
    assert page.evaluate("document.activeElement.id") == target[1:], "focus stays on the link"


# -- helpers -----------------------------------------------------------------------------------


def path_of(page: Any) -> str:
    return urlsplit(page.url).path


def expect_visible(locator: Any) -> None:
    from playwright.sync_api import expect

    expect(locator).to_be_visible()


def pick_option(select: Any, pattern: str) -> str:
    labels = [label.strip() for label in select.locator("option").all_inner_texts()]
    matching = [label for label in labels if re.search(pattern, label, re.IGNORECASE)]
    assert matching, f"no option matching {pattern!r} in {labels}"
    return matching[0]


def fill_date(field: Any, iso: str) -> None:
    if field.get_attribute("type") == "date":
        field.fill(iso)
    else:
        year, month, day = iso.split("-")
        field.fill(f"{day}/{month}/{year}")
