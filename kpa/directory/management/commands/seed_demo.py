import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kpa.directory.demo import DEMO_PASSWORD, PERSONAS, seed_demo_network


class Command(BaseCommand):
    help = "Charge le réseau de démonstration (idempotent) et affiche les identifiants."

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
        if not options["quiet_logins"]:
            self.stdout.write(f"\nIdentifiants de démonstration (mot de passe : {DEMO_PASSWORD})")
            for persona in PERSONAS:
                self.stdout.write(f"  {persona.username:<15} {persona.role} — {persona.where}")
