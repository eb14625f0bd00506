from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JourneyConfig(AppConfig):
    name = "kpa.journey"
    verbose_name = _("Parcours des coopérant·es")
    default_auto_field = "django.db.models.BigAutoField"
