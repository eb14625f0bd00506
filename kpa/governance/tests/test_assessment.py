"""A KPA assesses itself against the framework in force: one assessment per version, answers
on that version's criteria only, any member fills it in, coordinators read every KPA's."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import TODAY, Cast
from kpa.core.models import AuditEvent
from kpa.governance import assessment, framework
from kpa.governance.models import FrameworkCriterion, FrameworkVersion, SelfAssessment


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def version(cast: Cast) -> FrameworkVersion:
    return framework.install_framework(cast.network, actor=None)


def code(version: FrameworkVersion, value: str) -> FrameworkCriterion:
    return FrameworkCriterion.objects.get(pillar__version=version, code=value)


def test_a_member_starts_the_kpa_s_assessment_once_per_version(
        cast: Cast, version: FrameworkVersion) -> None:
    first = assessment.start_assessment(cast.home, actor=cast.user("cooperant"), today=TODAY)
    again = assessment.start_assessment(cast.home, actor=cast.user("benevole"), today=TODAY)
    assert first == again
    assert (first.version, first.created_by) == (version, cast.cooperant)
    assert SelfAssessment.objects.count() == 1
    assert AuditEvent.objects.filter(action="governance.assessment.started").count() == 1


def test_outsiders_and_coordinators_do_not_fill_in_a_kpa_s_assessment(
        cast: Cast, version: FrameworkVersion) -> None:
    for persona in ("outsider", "coordinateur", "gestionnaire"):
        with pytest.raises(PermissionDenied):
            assessment.start_assessment(cast.home, actor=cast.user(persona), today=TODAY)
    assert not SelfAssessment.objects.exists()


def test_no_framework_no_assessment(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="pas encore de cadre"):
        assessment.start_assessment(cast.home, actor=cast.user("cooperant"), today=TODAY)


def test_answers_are_counted_and_can_change(cast: Cast, version: FrameworkVersion) -> None:
    actor = cast.user("cooperant")
    found = assessment.start_assessment(cast.home, actor=actor, today=TODAY)
    for value, status in (("1.1", "met"), ("1.2", "in_progress"), ("2.3", "not_yet")):
        assessment.answer_criterion(found, actor=actor, criterion_id=code(version, value).pk,
                                    status=status, evidence=" Une preuve ", today=TODAY)
    answer = assessment.answer_criterion(found, actor=actor,
                                         criterion_id=code(version, "2.3").pk,
                                         status="met", evidence="Charte v1", today=TODAY)
    assert (answer.status, answer.evidence) == ("met", "Charte v1")
    counted = assessment.summary(found)
    assert (counted.met, counted.in_progress, counted.not_yet) == (2, 1, 0)
    assert (counted.total, counted.unanswered) == (21, 18)
    assert found.answers.get(criterion__code="1.1").evidence == "Une preuve"


def test_an_answer_needs_a_known_status_and_a_criterion_of_that_version(
        cast: Cast, version: FrameworkVersion) -> None:
    actor = cast.user("cooperant")
    found = assessment.start_assessment(cast.home, actor=actor, today=TODAY)
    draft = framework.draft_framework_amendment(cast.network, actor=cast.user("coordinateur"),
                                                label="Projet", today=TODAY)
    with pytest.raises(ValidationError, match="rempli, en cours ou pas encore"):
        assessment.answer_criterion(found, actor=actor, criterion_id=code(version, "1.1").pk,
                                    status="maybe", evidence="", today=TODAY)
    with pytest.raises(ValidationError, match="n'appartient pas"):
        assessment.answer_criterion(found, actor=actor, criterion_id=code(draft, "1.1").pk,
                                    status="met", evidence="", today=TODAY)
    with pytest.raises(PermissionDenied):
        assessment.answer_criterion(found, actor=cast.user("outsider"),
                                    criterion_id=code(version, "1.1").pk, status="met",
                                    evidence="", today=TODAY)
    assert not found.answers.exists()


def test_coordinators_read_every_kpa_s_assessment_and_members_their_own(
        cast: Cast, version: FrameworkVersion) -> None:
    found = assessment.start_assessment(cast.home, actor=cast.user("cooperant"), today=TODAY)
    assert assessment.can_see_assessment(cast.user("coordinateur"), found, today=TODAY)
    assert assessment.can_see_assessment(cast.user("benevole"), found, today=TODAY)
    assert not assessment.can_see_assessment(cast.user("outsider"), found, today=TODAY)


def test_the_network_overview_shows_each_kpa_s_latest_counts(
        cast: Cast, version: FrameworkVersion,
        django_assert_max_num_queries: Any) -> None:
    actor = cast.user("cooperant")
    found = assessment.save_assessment(cast.home, actor=actor, today=TODAY, answers={
        code(version, "1.1").pk: ("met", ""), code(version, "1.2").pk: ("not_yet", "")})
    assert found.answers.count() == 2
    with django_assert_max_num_queries(4):
        rows = assessment.network_overview(cast.network)
    by_kpa = {row.kpa: row for row in rows}
    assert by_kpa[cast.elsewhere].assessment is None
    home = by_kpa[cast.home].summary
    assert home is not None
    assert (home.met, home.in_progress, home.not_yet, home.unanswered) == (1, 0, 1, 19)
