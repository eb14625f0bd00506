import importlib
import importlib.util
import time
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser

from kpa.core.dates import local_today
from kpa.directory.demo import DEMO_PASSWORD, PERSONAS, seed_demo_network


class Command(BaseCommand):
    help = ("Charge le réseau de démonstration puis les démonstrations des autres applications "
            "(idempotent) et affiche les identifiants.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet-logins", action="store_true",
                            help="Ne pas afficher les identifiants de démonstration.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        result = seed_demo_network()
        elapsed = time.perf_counter() - started
        verb = "créé" if result.created else "déjà présent"
        self.stdout.write(self.style.SUCCESS(
            f"Réseau de démonstration {verb} : {result.kpas} KPA, {result.persons} personnes "
            f"({elapsed:.1f} s)."
        ))
        self.run_app_hooks()
        self.stdout.write(f"Démonstration prête en {time.perf_counter() - started:.1f} s.")
        if not options["quiet_logins"]:
            self.stdout.write(f"\nIdentifiants de démonstration (mot de passe : {DEMO_PASSWORD})")
            for persona in PERSONAS:
                self.stdout.write(f"  {persona.username:<15} {persona.role} — {persona.where}")

    def run_app_hooks(self) -> None:
        """Each installed app may add its own demo data: a `demo` module with
        `seed_app_demo(*, today) -> str`, run in INSTALLED_APPS order. The directory does not
        import the apps above it: it only finds their hooks."""
        today = local_today()
        for app_config in apps.get_app_configs():
            name = f"{app_config.name}.demo"
            try:
                spec = importlib.util.find_spec(name)
            except ModuleNotFoundError:  # the app is a plain module, not a package
                spec = None
            if spec is None:
                continue
            hook = getattr(importlib.import_module(name), "seed_app_demo", None)
            if not callable(hook):
                continue
            started = time.perf_counter()
            summary = hook(today=today)
            self.stdout.write(self.style.SUCCESS(
                f"{summary} [{app_config.label}, {time.perf_counter() - started:.1f} s]"))
