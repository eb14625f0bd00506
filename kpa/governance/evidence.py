"""What the platform can show of a KPA by itself, one plain sentence per evidence key of the
framework: the self-assessment page puts it beside each criterion and pre-fills empty evidence
with it. Everything comes from the platform's own rows in a fixed number of queries (four),
however large the KPA."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kpa.directory.models import Activity, Kpa, Place, Role, RoleKind
from kpa.governance.models import CharterVersion, Decision, Elector, Meeting
from kpa.journey.models import Contract
from kpa.ledger.models import FiscalYear, TreasuryAccount


def _count(queryset: QuerySet[Any], link: str = "kpa") -> Coalesce:
    """A correlated COUNT of `queryset` rows whose `link` is the outer KPA."""
    counted = (queryset.filter(**{link: OuterRef("pk")}).order_by().values(link)
               .annotate(n=Count("pk")).values("n")[:1])
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _year_ago(today: dt.date) -> dt.date:
    try:
        return today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 1, day=28)


def _day(value: dt.date) -> str:
    return formats.date_format(value, "j F Y")


def suggest_evidence(kpa: Kpa, *, today: dt.date) -> dict[str, str]:
    since = _year_ago(today)
    cooperants = Role.objects.current(today).filter(kpa=kpa, kind=RoleKind.COOPERANT)
    figures = Kpa.objects.filter(pk=kpa.pk).annotate(
        n_places=_count(Place.objects.all()),
        n_individual=_count(Activity.objects.open_on(today).filter(
            kind=Activity.Kind.INDIVIDUAL)),
        n_collective=_count(Activity.objects.open_on(today).filter(
            kind=Activity.Kind.COLLECTIVE)),
        n_accompagnateurs=_count(Role.objects.current(today).filter(
            kind=RoleKind.ACCOMPAGNATEUR)),
        n_decisions=_count(Decision.objects.filter(decided_on__gt=since,
                                                   decided_on__lte=today)),
        n_meetings=_count(Meeting.objects.filter(
            cancelled_at__isnull=True, starts_at__date__gt=since, starts_at__date__lte=today)),
        n_network_votes=_count(Elector.objects.filter(has_voted=True,
                                                      proposal__network__isnull=False)),
        n_contracts=_count(Contract.objects.filter(
            status=Contract.Status.SIGNED, starts_on__lte=today, ends_on__gt=today),
            link="journey__kpa"),
    ).values("n_places", "n_individual", "n_collective", "n_accompagnateurs", "n_decisions",
             "n_meetings", "n_network_votes", "n_contracts", "local_structure__name",
             "carrying_structure_id", "carrying_structure__name").get()
    charter = (CharterVersion.objects.filter(kpa=kpa, status=CharterVersion.Status.ADOPTED)
               .values("number", "adopted_on").first())
    accounts = TreasuryAccount.objects.filter(is_active=True).aggregate(
        individual=Count("pk", filter=Q(kind=TreasuryAccount.Kind.INDIVIDUAL,
                                        person__in=cooperants.values("person_id"))),
        collective=Count("pk", filter=Q(kind=TreasuryAccount.Kind.COLLECTIVE,
                                        activity__kpa=kpa)),
        common=Count("pk", filter=Q(kind=TreasuryAccount.Kind.COMMON, kpa=kpa)),
    )
    years = FiscalYear.objects.filter(structure_id=figures["carrying_structure_id"]).aggregate(
        total=Count("pk"), closed=Count("pk", filter=Q(status=FiscalYear.Status.CLOSED)))
    return {
        "charter": _charter(charter),
        "individual_treasury": _individual(accounts["individual"]),
        "collective_treasury": _collective(accounts["collective"], accounts["common"]),
        "books": _books(figures["carrying_structure__name"], years["total"], years["closed"]),
        "cape": (ngettext("Contrat CAPE en cours : %(n)s", "Contrats CAPE en cours : %(n)s",
                          figures["n_contracts"]) % {"n": figures["n_contracts"]}
                 if figures["n_contracts"] else _("Aucun contrat CAPE en cours")),
        "activities": _activities(figures["n_individual"], figures["n_collective"]),
        "governance": (ngettext(
            "Décision inscrite au registre ces 12 derniers mois : %(n)s",
            "Décisions inscrites au registre ces 12 derniers mois : %(n)s",
            figures["n_decisions"]) % {"n": figures["n_decisions"]}
            if figures["n_decisions"]
            else _("Aucune décision inscrite au registre ces 12 derniers mois")),
        "meetings": (ngettext("Réunion tenue ces 12 derniers mois : %(n)s",
                              "Réunions tenues ces 12 derniers mois : %(n)s",
                              figures["n_meetings"]) % {"n": figures["n_meetings"]}
                     if figures["n_meetings"] else _("Aucune réunion ces 12 derniers mois")),
        "place": (ngettext("Lieu partagé : %(n)s", "Lieux partagés : %(n)s",
                           figures["n_places"]) % {"n": figures["n_places"]}
                  if figures["n_places"] else _("Pas encore de lieu enregistré")),
        "network": (ngettext("A voté sur %(n)s proposition du réseau",
                             "A voté sur %(n)s propositions du réseau",
                             figures["n_network_votes"]) % {"n": figures["n_network_votes"]}
                    if figures["n_network_votes"]
                    else _("N'a pas encore voté sur une proposition du réseau")),
        "accompaniment": (ngettext("Accompagnateur·rice en poste : %(n)s",
                                   "Accompagnateur·rices en poste : %(n)s",
                                   figures["n_accompagnateurs"])
                          % {"n": figures["n_accompagnateurs"]}
                          if figures["n_accompagnateurs"]
                          else _("Pas d'accompagnateur·rice en poste")),
        "local_structure": (_("Structure locale de l'ESS : %(name)s")
                            % {"name": figures["local_structure__name"]}
                            if figures["local_structure__name"]
                            else _("Pas de structure locale de l'ESS renseignée")),
    }


def _charter(charter: Mapping[str, Any] | None) -> str:
    if charter is None:
        return _("Pas encore de charte adoptée")
    return _("Charte adoptée : v%(number)s le %(day)s") % {
        "number": charter["number"], "day": _day(charter["adopted_on"])}


def _individual(count: int) -> str:
    if not count:
        return _("Suivi de trésorerie individuelle : non")
    return ngettext("Suivi de trésorerie individuelle : oui (%(n)s compte)",
                    "Suivi de trésorerie individuelle : oui (%(n)s comptes)",
                    count) % {"n": count}


def _collective(activities: int, common: int) -> str:
    if not activities and not common:
        return _("Suivi de trésorerie collective : non")
    parts = []
    if activities:
        parts.append(ngettext("%(n)s activité collective", "%(n)s activités collectives",
                              activities) % {"n": activities})
    if common:
        parts.append(_("la caisse commune du KPA"))
    return _("Suivi de trésorerie collective : oui (%(what)s)") % {"what": ", ".join(parts)}


def _books(structure: str, total: int, closed: int) -> str:
    if not total:
        return _("%(structure)s ne tient pas encore ses comptes sur la plateforme") % {
            "structure": structure}
    years = ngettext("%(n)s exercice", "%(n)s exercices", total) % {"n": total}
    if closed:
        return ngettext(
            "Comptes tenus sur la plateforme par %(structure)s : %(years)s, dont %(closed)s "
            "clôturé (comptes annuels)",
            "Comptes tenus sur la plateforme par %(structure)s : %(years)s, dont %(closed)s "
            "clôturés (comptes annuels)", closed) % {
            "structure": structure, "years": years, "closed": closed}
    return _("Comptes tenus sur la plateforme par %(structure)s : %(years)s, aucun encore "
             "clôturé") % {"structure": structure, "years": years}


def _activities(individual: int, collective: int) -> str:
    total = individual + collective
    if not total:
        return _("Aucune activité ouverte")
    return ngettext("Activité ouverte : %(n)s (individuelles : %(i)s, collectives : %(c)s)",
                    "Activités ouvertes : %(n)s (individuelles : %(i)s, collectives : %(c)s)",
                    total) % {"n": total, "i": individual, "c": collective}
