from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """`kpa bench`: scale data and measured scenarios. No models, no URLs."""

    name = "benchmarks"
    verbose_name = "Bancs d'essai"
