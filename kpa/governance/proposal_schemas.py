"""Schemas of the proposals and votes API (names prefixed `Proposal`, so that no two API
schemas share a name). Results go out as the stored JSON plus the sentence that says them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from ninja import Field, Schema

from kpa.governance import results
from kpa.governance.models import (
    Comment,
    Objection,
    Proposal,
    ProposalAttachment,
    Proxy,
)


class ProposalOptionOut(Schema):
    id: int
    label: str
    position: int


class ProposalOut(Schema):
    id: int
    title: str
    body: str
    method: str = Field(description="consent, majority, judgment, choice")
    status: str = Field(description="draft, awaiting_approval, scheduled, open, closed, "
                                    "cancelled")
    phase: str = Field(description="Consentement : clarification, reactions, objections.")
    kpa_id: int | None
    network_id: int | None
    group_id: int | None
    author_id: int
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    quorum_percent: int
    threshold: str
    abstentions_count: bool
    choice_mode: str
    secret: bool
    max_proxies: int
    review_on: dt.date | None
    network_proposal_id: int | None
    outcome: str
    closed_at: dt.datetime | None
    options: list[ProposalOptionOut]
    method_sentence: str

    @staticmethod
    def resolve_options(obj: Proposal) -> list[Any]:
        return list(obj.options.all())

    @staticmethod
    def resolve_method_sentence(obj: Proposal) -> str:
        return results.method_sentence(obj)


class ProposalFilters(Schema):
    kpa: int | None = Field(None, description="Les propositions d'un KPA.")
    network: int | None = Field(None, description="Les propositions du réseau.")
    status: str | None = Field(None, description="draft, awaiting_approval, scheduled, open, "
                                                 "closed, cancelled")


class ProposalIn(Schema):
    kpa_id: int | None = Field(None, description="Le KPA (ou bien network_id).")
    network_id: int | None = Field(None, description="Le réseau (ou bien kpa_id).")
    group_id: int | None = None
    title: str
    body: str = ""
    method: str = Field(description="consent, majority, judgment, choice")
    options: list[str] = Field(default_factory=list,
                               description="Jugement et choix : au moins deux options.")
    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None
    quorum_percent: int = 0
    threshold: str = "simple"
    abstentions_count: bool = False
    choice_mode: str = "single"
    secret: bool = False
    max_proxies: int = 0
    review_on: dt.date | None = None
    network_proposal_id: int | None = Field(
        None, description="Vote interne d'un KPA qui répond à cette proposition du réseau.")


class ProposalPatch(Schema):
    title: str | None = None
    body: str | None = None
    reason: str = ""
    options: list[str] | None = Field(None, description="Seulement avant l'ouverture.")


class ProposalCancelIn(Schema):
    reason: str


class ProposalBallotIn(Schema):
    choice: str = Field("", description="Majorité : for, against, abstain. Consentement : "
                                        "consent.")
    grades: dict[int, int] | None = Field(
        None, description="Jugement : {id de l'option : mention 0 (À rejeter) à 6 "
                          "(Excellent)}.")
    option_ids: list[int] = Field(default_factory=list, description="Choix : les options.")
    on_behalf_of: int | None = Field(None, description="L'inscrit·e dont on porte la "
                                                       "procuration (id d'Elector).")


class ProposalBallotOut(Schema):
    proposal_id: int
    recorded: bool
    secret: bool
    message: str


class ProposalProxyIn(Schema):
    holder_person_id: int = Field(description="La personne inscrite qui votera pour vous.")


class ProposalProxyOut(Schema):
    id: int
    proposal_id: int
    giver_id: int = Field(description="L'inscription (Elector) de qui donne.")
    holder_id: int = Field(description="L'inscription (Elector) de qui porte.")
    holder_name: str

    @staticmethod
    def resolve_holder_name(obj: Proxy) -> str:
        person = obj.holder.person
        return person.full_name if person is not None else ""


class ProposalObjectionIn(Schema):
    argument: str


class ProposalIntegrateIn(Schema):
    resolution: str
    title: str
    body: str = ""


class ProposalObjectionOut(Schema):
    id: int
    proposal_id: int
    author: str
    argument: str
    status: str = Field(description="open, integrated, withdrawn")
    resolution: str
    created_at: dt.datetime
    resolved_at: dt.datetime | None

    @staticmethod
    def resolve_author(obj: Objection) -> str:
        person = obj.elector.person
        return person.full_name if person is not None else str(obj.elector)


class ProposalCommentIn(Schema):
    body: str
    kind: str | None = Field(None, description="comment, question, reaction (consentement : "
                                               "celui du tour en cours par défaut).")


class ProposalCommentOut(Schema):
    id: int
    author: str
    kind: str
    body: str
    created_at: dt.datetime

    @staticmethod
    def resolve_author(obj: Comment) -> str:
        return obj.author.full_name


class ProposalResultsOut(Schema):
    proposal_id: int
    outcome: str
    outcome_label: str
    sentence: str = Field(description="Le résultat dit en une phrase.")
    figures: dict[str, Any] = Field(description="Le décompte stocké à la clôture "
                                                "(voir kpa/governance/closing.py).")


class ProposalAttachmentOut(Schema):
    id: int
    name: str
    uploaded_at: dt.datetime
    download: str

    @staticmethod
    def resolve_download(obj: ProposalAttachment) -> str:
        return reverse("governance:attachment_file", args=[obj.pk])
