"""A secret ballot records who voted but nothing in the database links a ballot to a voter:
read from the schema itself, then from the rows after three persons vote."""

from __future__ import annotations

import json

from django.contrib.auth.models import User
from django.db import connection, models

from conftest import Cast
from kpa.core.models import AuditEvent, Notification
from kpa.directory.models import Person
from kpa.governance import ballots, closing
from kpa.governance.models import (
    Ballot,
    BallotGrade,
    BallotSelection,
    Elector,
    Method,
    Proposal,
)
from kpa.governance.tests import factories as gf
from kpa.governance.tests.test_ballots import LATER, option_ids

PEOPLE = (Person, User, Elector)


def test_the_ballot_table_holds_no_voter_and_no_time(db: None) -> None:
    meta = Ballot._meta
    assert isinstance(meta.pk, models.UUIDField)
    linking = [field for field in meta.concrete_fields
               if field.is_relation and field.related_model in PEOPLE]
    assert [field.name for field in linking] == ["elector"]
    assert linking[0].null
    timed = [field.name for field in meta.concrete_fields
             if isinstance(field, models.DateField | models.TimeField | models.DurationField)]
    assert timed == []

    with connection.cursor() as cursor:
        columns = {column.name: column for column in
                   connection.introspection.get_table_description(cursor, meta.db_table)}
        relations = connection.introspection.get_relations(cursor, meta.db_table)
        constraints = connection.introspection.get_constraints(cursor, meta.db_table)
    people_tables = {model._meta.db_table for model in PEOPLE}
    assert {column for column, (_col, table) in relations.items()
            if table in people_tables} == {"elector_id"}
    assert columns["elector_id"].null_ok
    assert not any(word in name for name in columns
                   for word in ("person", "user", "date", "time", "created", "_at", "_on"))
    (primary,) = [c for c in constraints.values() if c["primary_key"]]
    assert primary["columns"] == ["id"]


def test_the_contents_of_a_ballot_carry_random_keys_too(db: None) -> None:
    """A counting id on grades or choices would follow the order of the votes, which the audit
    trail (naming each voter) also follows."""
    for model in (BallotGrade, BallotSelection):
        assert isinstance(model._meta.pk, models.UUIDField)
        assert not [field.name for field in model._meta.concrete_fields
                    if field.is_relation and field.related_model in PEOPLE]


def test_closing_a_secret_vote_writes_its_ballots_again_in_another_order(cast: Cast) -> None:
    """Same contents, new keys: the physical order of the rows no longer follows the votes."""
    for name in ("alice", "bruno"):
        gf.add_cooperant(cast.home, name)
    proposal = gf.make_proposal(cast, method=Method.CHOICE, secret=True)
    first, second, _third = option_ids(proposal)
    voters = [cast.user("cooperant"), *User.objects.filter(username__in=["alice", "bruno"])]
    for voter, option in zip(voters, [first, second, second], strict=True):
        ballots.cast_vote(proposal, actor=voter, now=LATER, option_ids=[option])
    before = set(Ballot.objects.filter(proposal=proposal).values_list("pk", flat=True))
    chosen_before = sorted(BallotSelection.objects.filter(ballot__proposal=proposal)
                           .values_list("option_id", flat=True))

    closing.close_proposal(proposal, actor=None, now=proposal.closes_at)

    after = set(Ballot.objects.filter(proposal=proposal).values_list("pk", flat=True))
    assert len(after) == 3
    assert not before & after
    assert sorted(BallotSelection.objects.filter(ballot__proposal=proposal)
                  .values_list("option_id", flat=True)) == chosen_before
    proposal.refresh_from_db()
    votes = {row["id"]: row["votes"] for row in proposal.results["options"]}
    assert (votes[first], votes[second]) == (1, 2)


def test_three_secret_votes_leave_no_trace_of_who_chose_what(cast: Cast) -> None:
    for name in ("alice", "bruno"):
        gf.add_cooperant(cast.home, name)
    proposal = gf.make_proposal(cast, method=Method.JUDGMENT, secret=True, max_proxies=1)
    first, second, third = option_ids(proposal)
    alice, bruno = User.objects.get(username="alice"), User.objects.get(username="bruno")
    proxy = ballots.give_proxy(proposal, actor=bruno, holder=alice.person, now=LATER)
    cast_ballots = [
        ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER,
                          grades={first: 0, second: 6, third: 3}),
        ballots.cast_vote(proposal, actor=alice, now=LATER,
                          grades={first: 4, second: 2, third: 3}),
        ballots.cast_vote(proposal, actor=alice, now=LATER, on_behalf_of=proxy.giver,
                          grades={first: 6, second: 0, third: 3}),
    ]
    voters = [cast.user("cooperant"), alice, bruno]

    rows = Ballot.objects.filter(proposal=proposal)
    assert rows.count() == 3
    assert set(rows.values_list("elector_id", flat=True)) == {None}
    voted = Elector.objects.filter(proposal=proposal, has_voted=True)
    assert set(voted.values_list("person__user", flat=True)) == {v.pk for v in voters}
    assert not Ballot.objects.filter(elector__proposal=proposal).exists()
    ids = {str(ballot.pk) for ballot in cast_ballots} | {ballot.pk.hex for ballot in cast_ballots}
    grades = list(BallotGrade.objects.filter(ballot__proposal=proposal)
                  .values_list("grade", flat=True))
    assert sorted(grades) == sorted([0, 6, 3, 4, 2, 3, 6, 0, 3])

    events = AuditEvent.objects.filter(action="governance.ballot.cast")
    assert events.count() == 3
    assert sorted(event.data["by_proxy"] for event in events) == [False, False, True]
    for event in events:
        assert set(event.data) == {"by_proxy"}
        assert event.target_id == str(proposal.pk)
    assert Notification.objects.filter(recipient=bruno,
                                       topic="governance.ballot.by_proxy").count() == 1
    texts = [json.dumps(e.data) + e.target_repr + e.target_id for e in AuditEvent.objects.all()]
    texts += [n.subject + n.body + n.url for n in Notification.objects.all()]
    for text in texts:
        assert not any(ballot_id in text for ballot_id in ids)
        assert "grade" not in text
        assert "Excellent" not in text
        assert "rejeter" not in text


def test_a_nominal_ballot_is_linked_to_its_elector(cast: Cast) -> None:
    """The other side of the rule, so that the secret test cannot pass by accident."""
    proposal = gf.make_proposal(cast, method=Method.MAJORITY)

    ballot = ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER, choice="for")

    assert ballot.elector == Elector.objects.get(proposal=proposal, person=cast.cooperant)
    assert proposal.secret is False
    assert isinstance(proposal, Proposal)
