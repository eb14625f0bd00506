# ruff: noqa: RUF001 - the source text's typographic apostrophes are kept word for word
"""The network's framework as it was adopted on 6 December 2024 at the Inter-KPA meeting of
Valenciennes (`cadre-kpa.txt`): five pillars and their criteria, word for word.

Each criterion may name what the platform can show of itself for it (`evidence.py`); several
keys are separated by a space. Codes are "pillar.criterion" and never change inside a version:
an amendment that removes "1.2" does not renumber "1.3", so that versions compare by code.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

LABEL = "Cadre d'un KPA — 6 décembre 2024"
ADOPTED_ON = dt.date(2024, 12, 6)
SOURCE = ("Ce cadre a été acté le 6 décembre 2024 à la rencontre Inter-KPA de Valenciennes. "
          "Il pourra évoluer, sur le principe de décision \"Un KPA=Une voix\"")


class Criterion(NamedTuple):
    text: str
    evidence_key: str = ""


class Pillar(NamedTuple):
    title: str
    criteria: tuple[Criterion, ...]


PILLARS: tuple[Pillar, ...] = (
    Pillar("Emancipation par l’activité économique en ESS et avec des structures d’appui", (
        Criterion("Des activités économiques développées dans le lieu par les membres (ex : "
                  "friperie, couture) ou des activités en prestation (pour des clients)",
                  # Contracts in progress are members developing their activity here.
                  "activities cape"),
        Criterion("Des moyens pour un accompagnement au développement des activités "
                  "économiques par un réseau de professionnels.", "accompaniment"),
        Criterion("Avoir une structure de portage locale de l’économie sociale et solidaire "
                  "ayant plusieurs membres impliqués et en capacité de produire des comptes "
                  "annuels", "local_structure books"),
        Criterion("Avoir une CAE ou une association outillée pour porter des contrats CAPE avec "
                  "un suivi de trésorerie individuelle pour chaque coopérant et aussi "
                  "collective.", "individual_treasury collective_treasury"),
        Criterion("Pour les activitées développées dans le lieu, une inscription dans les "
                  "valeurs et les pratiques de l’économie sociale et solidaire."),
    )),
    Pillar("Dans une démarche coopérative et accompagnée", (
        Criterion("La vie coopérative gérée en gouvernance partagée par les coopérants (Ex : "
                  "autonomie de décision les activités, leur rythme, etc…), tout en pouvant "
                  "être supervisée selon l’autonomie du collectif.", "governance meetings"),
        Criterion("Un accompagnement socioprofessionnel individuel pour les coopérants et un "
                  "accompagnement à la dynamique collective", "accompaniment"),
        Criterion("Une charte collective est mise en place pour les coopérants", "charter"),
        Criterion("Une compétence ou formation en gestion de groupe et régulation de conflit."),
    )),
    Pillar("Dans un lieu partagé, disposant de ressources partagées locales et globales", (
        Criterion("Dispose d’un lieu facilement accessible et appropriable par les membres du "
                  "KPA, qui peut aller jusqu’à être géré par eux (ex : peuvent avoir les clés, "
                  "mettre des affiches)", "place"),
        Criterion("Se base sur des communs locaux (mise à disposition de ressources communes, "
                  "comme une cuisine, un atelier, etc…)"),
        Criterion("Se base sur des communs globaux (par exemple plan de fabrication d’objets "
                  "open source, logiciels libres, plateformes coopératives comme Coopcycle, "
                  "etc…)"),
        Criterion("Qui consolide au fil du temps son local, ses outils, sa communauté (notion "
                  "de long terme de la démarche)"),
    )),
    Pillar("En coopération territoriale locale", (
        Criterion("Installé dans un territoire (analysé en amont)"),
        Criterion("Avec un réseau de partenaires, accompagnateurs et de prestataires qui se "
                  "consolide (notion de long terme dans les partenariats)"),
    )),
    Pillar("En coopération nationale avec le réseau qui protège une marque et produit de la "
           "connaissance accessible à toutes et tous", (
        Criterion("Est en accord avec des démarches de solidarité et coopération avec les "
                  "autres KPAs"),
        Criterion("Participe aux temps de rencontre (Inter-KPA) et aux espaces de coopération "
                  "numérique", "network"),
        Criterion("Le KPA documente ses pratiques, ses outils, ses solutions (forum, wiki)"),
        Criterion("Une structure qui accepte que l’on copie ses pratiques, ses outils (qui sont "
                  "donc sous licence libre), ses solutions, ses communs."),
        Criterion("Respect du cadre de KPA-Cité. Par exemple, si réponse à des consortiums, "
                  "comprendre, co-construire et accepter les règles collectives."),
        Criterion("Soutient le réseau KPA-Cité financièrement (forme du soutien déterminée dans "
                  "la charte et collectivement sur le principe un KPA = Une voix)"),
    )),
)

EVIDENCE_KEYS: tuple[str, ...] = (
    "charter", "individual_treasury", "collective_treasury", "books", "cape", "activities",
    "governance", "meetings", "place", "network", "accompaniment", "local_structure",
)


def coded() -> list[tuple[int, str, list[tuple[int, str, str, str]]]]:
    """(position, title, [(position, code, text, evidence_key)]) for each pillar, 1-based."""
    return [
        (p, pillar.title, [(c, f"{p}.{c}", criterion.text, criterion.evidence_key)
                           for c, criterion in enumerate(pillar.criteria, start=1)])
        for p, pillar in enumerate(PILLARS, start=1)
    ]
