"""Schemas of the framework, self-assessment and delegate API. Every name starts with
"Framework": the OpenAPI document names its components by class name."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class FrameworkCriterionOut(Schema):
    id: int
    code: str = Field(description="\"pillar.criterion\", stable across versions")
    position: int
    text: str
    evidence_keys: list[str] = Field(description="What the platform shows of itself for it.")


class FrameworkPillarOut(Schema):
    id: int
    position: int
    title: str
    criteria: list[FrameworkCriterionOut]


class FrameworkVersionOut(Schema):
    id: int
    network_id: int
    label: str
    status: str = Field(description="draft, current or superseded")
    adopted_on: dt.date | None
    decision_id: int | None = Field(description="The network decision that adopted it.")
    based_on_id: int | None = Field(description="The version it amends.")
    proposal_id: int | None = Field(description="The network proposal that carries it.")
    editable: bool = Field(description="A draft no vote runs or ran on.")
    pillars: list[FrameworkPillarOut]


class FrameworkChangedOut(Schema):
    code: str
    before: str
    after: str


class FrameworkRenamedOut(Schema):
    position: int
    before: str
    after: str


class FrameworkDiffOut(Schema):
    from_id: int
    to_id: int
    added: list[FrameworkCriterionOut]
    removed: list[FrameworkCriterionOut]
    changed: list[FrameworkChangedOut]
    renamed_pillars: list[FrameworkRenamedOut]


class FrameworkDraftIn(Schema):
    label: str


class FrameworkCriterionPatch(Schema):
    text: str | None = None
    evidence_key: str | None = Field(None, description="Keys separated by spaces.")


class FrameworkCriterionIn(Schema):
    text: str
    evidence_key: str = ""


class FrameworkPillarPatch(Schema):
    title: str


class FrameworkAssessmentIn(Schema):
    kpa_id: int


class FrameworkAnswerIn(Schema):
    status: str = Field(description="met, in_progress or not_yet")
    evidence: str = ""


class FrameworkAnswerOut(Schema):
    criterion_id: int
    code: str
    status: str
    evidence: str


class FrameworkSummaryOut(Schema):
    met: int
    in_progress: int
    not_yet: int
    unanswered: int
    total: int


class FrameworkAssessmentOut(Schema):
    id: int
    kpa_id: int
    version_id: int
    created_by_id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    summary: FrameworkSummaryOut
    answers: list[FrameworkAnswerOut]


class FrameworkDelegatePeriodOut(Schema):
    id: int
    person_id: int
    person_name: str
    starts_on: dt.date
    ends_on: dt.date | None = Field(description="First day without the mandate.")
    decision_id: int | None


class FrameworkDelegatesOut(Schema):
    kpa_id: int
    current: FrameworkDelegatePeriodOut | None
    periods: list[FrameworkDelegatePeriodOut] = Field(description="Newest first.")


class FrameworkDelegateIn(Schema):
    person_id: int
    starts_on: dt.date
    decision_id: int | None = None
