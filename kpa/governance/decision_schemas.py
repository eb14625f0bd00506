"""Schemas of the decision register API. Every name starts with "Decision": no two API schemas
share a name."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from kpa.governance.models import Decision


class DecisionOut(Schema):
    id: int
    kpa_id: int | None
    network_id: int | None
    number: int = Field(description="Sans trou, dans le registre du KPA ou du réseau.")
    title: str
    summary: str
    source: str = Field(description="proposal, show_of_hands, network_vote")
    method: str = Field(description="consent, majority, judgment, choice (vide : autre)")
    outcome: str = Field(description="adopted, rejected, no_quorum, elected, tie")
    figures: dict[str, object] = Field(
        description="Les chiffres : ceux du dépouillement d'une proposition (voir closing.py) "
                    "ou, à main levée, for, against, abstain, present, threshold.")
    decided_on: dt.date
    proposal_id: int | None
    meeting_id: int | None
    review_on: dt.date | None
    ratified_at: dt.datetime | None
    ratified_by_id: int | None
    words: str = Field(description="Les chiffres dits en une phrase.")

    @staticmethod
    def resolve_words(obj: Decision) -> str:
        from kpa.governance.decision_views import figures_sentence

        return figures_sentence(obj)


class DecisionFilters(Schema):
    kpa: int | None = Field(None, description="Le registre d'un KPA.")
    network: int | None = Field(None, description="Le registre du réseau.")
    q: str | None = Field(None, description="Un mot du titre ou du texte (sans tenir compte "
                                            "des majuscules).")
    method: str | None = Field(None, description="consent, majority, judgment, choice")
    year: int | None = Field(None, description="L'année de la décision.")


class DecisionReviewIn(Schema):
    review_on: dt.date | None = Field(description="Vide : plus de révision prévue.")
