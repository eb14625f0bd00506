"""Schemas of the charter and autonomy API. Names start with "Charter" or "Autonomy": the
OpenAPI document names its components by class name."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class CharterVersionSummaryOut(Schema):
    id: int
    number: int
    status: str = Field(description="draft, adopted or superseded")
    adopted_on: dt.date | None
    decision_id: int | None = Field(description="The decision that adopted it.")
    created_at: dt.datetime


class CharterVersionOut(CharterVersionSummaryOut):
    kpa_id: int
    body: str = Field(description="The text, in Markdown.")
    created_by_id: int
    proposal_id: int | None = Field(description="The proposal that puts it to the vote.")
    acknowledged_at: dt.datetime | None = Field(
        description="When the token's person acknowledged it (adopted versions only).")


class CharterKpaOut(Schema):
    kpa_id: int
    kpa_name: str
    current: CharterVersionOut | None = Field(description="The charter in force.")
    versions: list[CharterVersionSummaryOut] = Field(description="Every version, newest first.")


class CharterDiffLineOut(Schema):
    kind: str = Field(description="same, added or removed")
    text: str


class CharterDiffOut(Schema):
    from_number: int
    to_number: int
    added: int
    removed: int
    lines: list[CharterDiffLineOut]


class CharterDiffQuery(Schema):
    from_number: int | None = Field(None, alias="from",
                                    description="Version number; default: before `to`.")
    to_number: int | None = Field(None, alias="to",
                                  description="Version number; default: the one in force.")


class CharterDraftIn(Schema):
    body: str = Field(description="The text, in Markdown.")


class CharterAcknowledgementOut(Schema):
    version_id: int
    person_id: int
    acknowledged_at: dt.datetime


class CharterPendingPersonOut(Schema):
    id: int
    name: str
    is_cooperant: bool


class CharterPolicyIn(Schema):
    required: bool = Field(description="Coopérants vote only once they acknowledged the "
                                       "charter in force.")


class CharterPolicyOut(Schema):
    structure_id: int
    required: bool


class CharterProposalOut(Schema):
    proposal_id: int
    url: str


class AutonomyLevelOut(Schema):
    level: str = Field(description="supervised, accompanied or autonomous")
    label: str
    summary: str
    votes: str = Field(description="What the level means for who opens and closes votes.")


class AutonomyOut(Schema):
    kpa_id: int
    current: AutonomyLevelOut
    others: list[AutonomyLevelOut]
    live_proposal_id: int | None = Field(
        description="A proposal to change the level that is still under way.")


class AutonomyProposeIn(Schema):
    level: str = Field(description="supervised, accompanied or autonomous")


class AutonomyProposalOut(Schema):
    proposal_id: int
    url: str
