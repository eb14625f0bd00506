"""What an adopted proposal changes: a charter version, the KPA's autonomy level, the network's
framework. Applied when the decision is final — at once in an autonomous KPA and in the
network, after an animateur's ratification in a supervised or accompanied KPA.
"""

from __future__ import annotations

from kpa.core.auth import AnyUser
from kpa.directory.models import Kpa
from kpa.governance.models import CharterVersion, Decision, FrameworkVersion, Proposal


def is_final(decision: Decision) -> bool:
    """A KPA that is not autonomous needs its animateur's ratification."""
    if decision.kpa_id is None:
        return True
    assert decision.kpa is not None
    return (decision.kpa.autonomy == Kpa.Autonomy.AUTONOMOUS
            or decision.ratified_at is not None)


def apply_if_due(decision: Decision, *, actor: AnyUser | None) -> bool:
    """Apply the change the decision's proposal carries when it is adopted and final; True when
    something changed. Called at closing and again at ratification; a change already made is
    not made twice."""
    if decision.outcome != Proposal.Outcome.ADOPTED or decision.proposal_id is None:
        return False
    if not is_final(decision):
        return False
    proposal = decision.proposal
    assert proposal is not None
    # Imported here: these modules import the register, which imports this one.
    if proposal.charter_version_id is not None:
        from kpa.governance import charter

        version = CharterVersion.objects.get(pk=proposal.charter_version_id)
        if version.status != CharterVersion.Status.DRAFT:
            return False
        charter.adopt_charter_version(version, decision=decision, actor=actor)
        return True
    if proposal.autonomy_target:
        from kpa.governance import autonomy

        kpa = decision.kpa
        assert kpa is not None
        if kpa.autonomy == proposal.autonomy_target:
            return False
        autonomy.change_autonomy(kpa, level=proposal.autonomy_target, decision=decision,
                                 actor=actor)
        return True
    if proposal.framework_version_id is not None:
        from kpa.governance import framework

        framework_version = FrameworkVersion.objects.get(pk=proposal.framework_version_id)
        if framework_version.status != FrameworkVersion.Status.DRAFT:
            return False
        framework.adopt_framework_version(framework_version, decision=decision, actor=actor)
        return True
    return False
