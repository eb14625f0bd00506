"""The layout DESIGN.md §3 promises, checked: every app has the same shape, named migrations,
a place in the layer contract, and the layer contract holds."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KPA = ROOT / "kpa"
APP_FILES = ("README.md", "models.py", "services.py", "selectors.py", "permissions.py")
APPS = sorted(path.parent.name for path in KPA.glob("*/models.py"))


def test_apps_are_found() -> None:
    assert {"core", "directory"} <= set(APPS)


@pytest.mark.parametrize("app", APPS)
def test_every_app_has_the_same_shape(app: str) -> None:
    missing = [name for name in APP_FILES if not (KPA / app / name).is_file()]
    assert not missing, f"kpa/{app}/ lacks {', '.join(missing)} (DESIGN.md §3)"


@pytest.mark.parametrize("app", APPS)
def test_migrations_are_named(app: str) -> None:
    migrations = KPA / app / "migrations"
    unnamed = sorted(path.name for path in migrations.glob("*.py") if "auto_" in path.name)
    assert not unnamed, (
        f"kpa/{app}/migrations: give these a name that says what they do "
        f"(makemigrations --name ...): {', '.join(unnamed)}"
    )


def test_every_app_sits_in_the_layer_contract() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layered = {
        module
        for contract in contracts if contract["type"] == "layers"
        for layer in contract["layers"]
        for module in re.findall(r"kpa\.\w+", layer)
    }
    outside = [app for app in APPS if f"kpa.{app}" not in layered]
    assert not outside, f"apps missing from the import-linter layers: {outside}"


def test_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    assert lint_imports.exists(), f"{lint_imports} is missing: pip install -r requirements-dev.txt"
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_api_schema_has_a_name_of_its_own() -> None:
    """The OpenAPI document names its components by class name: two different schemas of one
    name would leave one app's routes described by the other's fields."""
    import importlib
    import inspect

    from ninja import Schema

    seen: dict[str, tuple[str, tuple[str, ...]]] = {}
    clashes = []
    for path in sorted(KPA.glob("*/*schemas.py")):
        module = importlib.import_module(f"kpa.{path.parent.name}.{path.stem}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, Schema) or cls.__module__ != module.__name__:
                continue
            fields = tuple(sorted(cls.model_fields))
            other = seen.setdefault(name, (module.__name__, fields))
            if other[1] != fields:
                clashes.append(f"{name}: {other[0]} and {module.__name__}")
    assert not clashes, clashes
