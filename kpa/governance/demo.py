"""Demo governance: eight months of shared decisions in KPA Roubaix, a change of autonomy in
KPA Lille-Moulins and the network amending its framework, "un KPA = une voix", played after the
other demos (INSTALLED_APPS order) on the demo network's people.

- KPA Roubaix stays "accompagné": its animateur (the `animateur` persona) approves the opening
  of each vote and ratifies the outcomes; the most recent one still waits for him. Its charter
  v1 was adopted months ago by a show of hands in an assembly; v2 by a consent proposal last
  month: the staff and some coopérants acknowledged it, the coopérant persona has not yet.
  Closed: a consent whose argued objection was integrated before it was adopted, a majority
  judgment (merit profiles), a choice that elected the KPA's delegate to the network (the
  coopérant persona), a majority vote, and the internal vote that gave the KPA's one vote on the
  network's framework. Open: a consent in its reactions round, a majority judgment the persona
  has not graded yet, an approval vote, and a working group's majority vote. A monthly meeting
  (agenda, attendance, minutes, a show of hands) is past; the next one is planned. The KPA
  assessed itself against the amended framework.
- KPA Lille-Moulins voted itself "autonome". Its animateur has no login: the platform
  administrator acts for her (approval and ratification), as in the other demos.
- The network installed the framework of 6 December 2024 and adopted an amendment (one more
  criterion) by a network proposal answered by five KPAs out of six: Roubaix through its internal
  vote, the others by their delegates. A second network proposal is open.

Online votes need an account: the coopérants and référents who act here and have an e-mail get
one without a password (as an invitation gives them), so that they vote themselves; people
without an e-mail take part in meetings. Everything else goes through the services, each step on
its day (`kpa.journey.demo.Plan`), with these people as actors. Idempotent: nothing is done when
the demo network already has a proposal. No e-mail leaves.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kpa.core import audit, notifications
from kpa.directory.demo import NETWORK_NAME
from kpa.directory.models import (
    Activity,
    ActivityMembership,
    Kpa,
    Network,
    Person,
    Place,
    Role,
    RoleKind,
)
from kpa.directory.services import username_for
from kpa.governance import (
    assessment,
    autonomy,
    ballots,
    charter,
    closing,
    delegates,
    framework,
    meetings,
    proposals,
    register,
)
from kpa.governance.models import (
    Attendance,
    CharterVersion,
    Comment,
    Decision,
    FrameworkCriterion,
    FrameworkVersion,
    Meeting,
    Method,
    Proposal,
    SelfAssessment,
    WorkingGroup,
)
from kpa.journey.demo import LILLE, ROUBAIX, Plan, no_mail

STORY_DAYS = 240  # the story starts about eight months before today
VOTERS = 4  # coopérants of Roubaix besides the persona who vote online
AMENDMENT = ("Chaque nouveau coopérant découvre, dans ses trois premiers mois, les façons de "
             "décider ensemble du KPA (consentement, vote, jugement majoritaire).")

CHARTER_V1 = """# Charte du KPA Roubaix

## Ce qui nous rassemble
Nous développons nos activités ensemble, dans le respect de chacune et de chacun.

## Le lieu
- L'atelier est ouvert du mardi au samedi, de 9 h à 18 h.
- Chacun range ce qu'il utilise avant de partir.

## Décider ensemble
- Les décisions du collectif se prennent en assemblée ou sur la plateforme.
- Chaque coopérant·e a une voix.
"""

CHARTER_V2 = """# Charte du KPA Roubaix

## Ce qui nous rassemble
Nous développons nos activités ensemble, dans le respect de chacune et de chacun.

## Le lieu
- L'atelier est ouvert du mardi au samedi, de 9 h à 18 h.
- Chacun range ce qu'il utilise avant de partir.
- Le ménage de l'atelier se fait à tour de rôle, selon le planning affiché.

## Décider ensemble
- Les décisions du collectif se prennent en assemblée ou sur la plateforme.
- Chaque coopérant·e a une voix.
- Une réunion du collectif a lieu chaque mois ; son compte rendu est publié sur la plateforme.

## La caisse commune
- Les activités collectives versent une part de leurs ventes à la caisse commune, comme le
  collectif l'a décidé.
"""


def _moment(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _first(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _demo_proposals() -> Q:
    return Q(kpa__network__name=NETWORK_NAME) | Q(network__name=NETWORK_NAME)


# -- the people of the story ----------------------------------------------------------------


def _login_of(person: Person) -> User | None:
    """The person's account; one without a password (as an invitation makes it) for a person
    with an e-mail who has none yet, so that they vote themselves. None without an e-mail."""
    if person.user is not None:
        return person.user
    if not person.email:
        return None
    user = User(username=username_for(person.email), email=person.email,
                first_name=person.first_name, last_name=person.last_name)
    user.set_unusable_password()
    user.save()
    person.user = user
    person.save(update_fields=["user"])
    return user


def _persona(username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True, person__isnull=False).first()


def _members(kpa: Kpa, kind: str, day: dt.date) -> list[Person]:
    return list(Person.objects.filter(
        pk__in=Role.objects.current(day).filter(kpa=kpa, kind=kind).values("person_id"))
        .select_related("user").order_by("pk"))


def _person(user: User) -> Person:
    return Person.objects.get(user=user)


@dataclass(frozen=True)
class _Cast:
    network: Network
    roubaix: Kpa
    lille: Kpa
    cooperant: User  # the coopérant persona, in Roubaix and Lille
    referent: User
    animateur: User
    coordinateur: User
    admin: User  # acts for Lille's animateur, who has no login
    voters: list[User]  # Roubaix's other coopérants who vote online (three or four)
    lille_voters: list[User]  # Lille's coopérants who vote online, the persona first
    lille_referent: User
    delegates: list[tuple[Kpa, User]]  # the other KPAs and the référent each sends

    @property
    def everyone(self) -> list[User]:
        """Roubaix's online voters, the persona first."""
        return [self.cooperant, *self.voters]


def _first_login(persons: Sequence[Person]) -> User | None:
    return next((user for user in map(_login_of, persons) if user is not None), None)


def _cast(network: Network, day: dt.date) -> _Cast | str:
    """Who acts, or why the story cannot be played."""
    kpas = {k.name: k for k in Kpa.objects.filter(network=network, name__in=[ROUBAIX, LILLE])}
    if len(kpas) < 2:
        return "pas de KPA de démonstration"
    personas: dict[str, User] = {}
    for name in ("cooperant", "referent", "animateur", "coordinateur", "admin"):
        user = _persona(name)
        if user is None:
            return f"pas d'identifiant « {name} »"
        personas[name] = user
    cooperant = personas["cooperant"]
    roubaix, lille = kpas[ROUBAIX], kpas[LILLE]

    def others(kpa: Kpa, count: int) -> list[User]:
        people = [p for p in _members(kpa, RoleKind.COOPERANT, day)
                  if p.user_id != cooperant.pk and p.email][:count]
        return [user for user in map(_login_of, people) if user is not None]

    voters, lille_voters = others(roubaix, VOTERS), [cooperant, *others(lille, 3)]
    lille_referent = _first_login(_members(lille, RoleKind.REFERENT, day))
    if len(voters) < 3 or len(lille_voters) < 3 or lille_referent is None:
        return "trop peu de personnes avec un e-mail pour voter"
    sent = []
    for kpa in Kpa.objects.filter(network=network).exclude(pk__in=[roubaix.pk, lille.pk]) \
            .order_by("pk"):
        referent = _first_login(_members(kpa, RoleKind.REFERENT, day))
        if referent is not None:
            sent.append((kpa, referent))
    if len(sent) < 2:
        return "trop peu de KPA avec un·e référent·e pour voter au réseau"
    return _Cast(network=network, roubaix=roubaix, lille=lille, cooperant=cooperant,
                 referent=personas["referent"], animateur=personas["animateur"],
                 coordinateur=personas["coordinateur"], admin=personas["admin"],
                 voters=voters, lille_voters=lille_voters, lille_referent=lille_referent,
                 delegates=sent)


def _since(cast: _Cast) -> dt.date:
    """The first day on which every actor of the story holds the role they act in."""
    pairs: list[tuple[User, Q]] = [
        (cast.referent, Q(kpa=cast.roubaix)), (cast.animateur, Q(kpa=cast.roubaix)),
        (cast.coordinateur, Q(network=cast.network)),
        *[(user, Q(kpa=cast.roubaix)) for user in cast.everyone],
        *[(user, Q(kpa=cast.lille)) for user in (*cast.lille_voters, cast.lille_referent)],
        *[(user, Q(kpa=kpa)) for kpa, user in cast.delegates],
    ]
    starts = []
    for user, scope in pairs:
        first = (Role.objects.filter(scope, person__user=user).order_by("starts_on")
                 .values_list("starts_on", flat=True).first())
        starts.append(first or dt.date.max)
    return max(starts)


# -- the story ------------------------------------------------------------------------------


@dataclass
class _Story:
    plan: Plan
    cast: _Cast
    today: dt.date
    # One instance per proposal, passed to every service: those that change it (opening,
    # rounds, closing) update it in place, so it stays current without reading it again.
    proposals: dict[str, Proposal] = field(default_factory=dict)
    options: dict[str, dict[str, int]] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)

    def ago(self, days: int) -> dt.date:
        return self.today - dt.timedelta(days=days)

    def ahead(self, days: int, hour: int = 18) -> dt.datetime:
        return _moment(self.today + dt.timedelta(days=days), hour)

    def on(self, day: dt.date, step: Callable[[dt.datetime], object]) -> None:
        """Run `step(now)` on `day`, `now` being the plan's clock on that day."""
        self.plan.at(day, lambda: step(timezone.now()))

    def proposal(self, key: str) -> Proposal:
        return self.proposals[key]

    def option_ids(self, key: str) -> dict[str, int]:
        """Label → id of the proposal's options (they never change once it is open)."""
        if key not in self.options:
            self.options[key] = dict(self.proposals[key].options.values_list("label", "pk"))
        return self.options[key]

    # -- the common moves of a proposal ---------------------------------------------------

    def propose(self, key: str, *, day: dt.date, author: User, approve_on: dt.date | None,
                closes_at: dt.datetime | None = None,
                make: Callable[[dt.datetime], Proposal] | None = None,
                **fields: Any) -> None:
        """Written and sent to the vote on `day` by `author`; in an accompanied KPA the
        animateur lets it open on `approve_on`."""

        def write(now: dt.datetime) -> None:
            created = make(now) if make is not None else proposals.create_proposal(
                actor=author, now=now, closes_at=closes_at, **fields)
            self.proposals[key] = created
            proposals.open_proposal(created, actor=author, now=now)

        self.on(day, write)
        if approve_on is not None:
            self.on(approve_on, lambda now: proposals.approve_opening(
                self.proposal(key), actor=self._approver(key), now=now))

    def _approver(self, key: str) -> User:
        return self.cast.admin if self.proposal(key).kpa_id == self.cast.lille.pk \
            else self.cast.animateur

    def vote(self, key: str, day: dt.date, voter: User, *, choice: str = "",
             grades: Mapping[str, int] | None = None, chosen: Sequence[str] = ()) -> None:
        """A ballot; options are named by their labels."""

        def cast(now: dt.datetime) -> None:
            proposal, ids = self.proposal(key), self.option_ids(key)
            ballots.cast_vote(proposal, actor=voter, now=now, choice=choice,
                              grades={ids[label]: grade for label, grade in grades.items()}
                              if grades else None,
                              option_ids=[ids[label] for label in chosen])

        self.on(day, cast)

    def close(self, key: str, day: dt.date) -> None:
        """The clock closes the vote at its closing time."""

        def shut(_now: dt.datetime) -> None:
            proposal = self.proposal(key)
            assert proposal.closes_at is not None
            closing.close_proposal(proposal, actor=None, now=proposal.closes_at)

        self.on(day, shut)

    def ratify(self, key: str, day: dt.date) -> None:
        self.on(day, lambda now: register.ratify_decision(
            Decision.objects.get(proposal=self.proposals[key]), actor=self._approver(key),
            now=now))

    def comment(self, key: str, day: dt.date, author: User, kind: str, body: str) -> None:
        self.on(day, lambda now: ballots.add_comment(self.proposal(key), actor=author, now=now,
                                                     body=body, kind=kind))

    def advance(self, key: str, day: dt.date) -> None:
        self.on(day, lambda now: proposals.advance_phase(self.proposal(key),
                                                         actor=self.cast.animateur, now=now))

    def acknowledge(self, day: dt.date, user: User, version: str) -> None:
        def read(now: dt.datetime) -> None:
            charter.acknowledge_charter(self.objects[version], actor=user, now=now)

        self.on(day, read)

    def designate(self, day: dt.date, kpa: Kpa, user: User) -> None:
        """A lead of `kpa` designates themself as its delegate from that day."""

        def send(now: dt.datetime) -> None:
            today = timezone.localdate(now)
            delegates.designate_delegate(kpa, actor=user, person=_person(user), starts_on=today,
                                         today=today)

        self.on(day, send)

    # -- the chapters -----------------------------------------------------------------------

    def schedule(self) -> None:
        """Put every chapter's steps in the plan (played afterwards, day by day)."""
        self.framework_installed()
        self.first_charter()
        self.common_fund()
        self.shop_name()
        self.lille_autonomy()
        self.delegate_election()
        self.delegates_designated()
        self.framework_amended()
        self.second_charter()
        self.self_assessment()
        self.monthly_meeting()
        self.sewing_machine()
        self.open_votes()
        self.network_gathering()
        self.next_meeting()

    def framework_installed(self) -> None:
        def install(now: dt.datetime) -> None:
            if framework.current_version(self.cast.network) is None:
                framework.install_framework(self.cast.network, actor=self.cast.coordinateur,
                                            today=timezone.localdate(now))

        self.on(self.ago(STORY_DAYS), install)

    def first_charter(self) -> None:
        """Charter v1, adopted months ago by a show of hands in an assembly."""
        cast, roubaix = self.cast, self.cast.roubaix
        held = self.ago(220)

        def draft(now: dt.datetime) -> None:
            self.objects["v1"] = charter.draft_charter_version(
                roubaix, actor=cast.referent, body=CHARTER_V1, today=timezone.localdate(now))

        def plan(now: dt.datetime) -> None:
            self.objects["assembly"] = meetings.plan_meeting(
                actor=cast.referent, now=now, kpa=roubaix,
                title="Assemblée du collectif : notre charte", starts_at=_moment(held, 18),
                ends_at=_moment(held, 20), location=self._place(),
                agenda="1. Tour de table\n2. Lecture du projet de charte\n"
                       "3. Vote à main levée sur la charte\n4. Questions diverses")

        def record(now: dt.datetime) -> None:
            meeting = self.objects["assembly"]
            present = self._attendance(meeting, now, cast.animateur, excused=1, absent=1)
            meetings.record_show_of_hands(
                meeting, actor=cast.animateur, now=now, title="Adopter la charte du KPA (v1)",
                summary="Le collectif adopte sa première charte.", votes_for=present - 1,
                against=0, abstain=1, charter_version=self.objects["v1"])
            meetings.publish_minutes(
                meeting, actor=cast.animateur, now=now,
                minutes="## Compte rendu\n\nLe projet de charte a été lu à voix haute et "
                        "discuté article par article. Il est adopté à main levée.\n\n"
                        "Prochaine étape : chacun·e prend connaissance de la charte sur la "
                        "plateforme.")

        self.on(self.ago(232), draft)
        self.on(self.ago(230), plan)
        self.on(self.ago(219), record)
        for offset, user in ((218, cast.cooperant), (218, cast.referent),
                             (217, cast.voters[0]), (216, cast.voters[1])):
            self.acknowledge(self.ago(offset), user, "v1")

    def common_fund(self) -> None:
        """Consent: an argued objection, integrated by the author, then adopted."""
        cast, key = self.cast, "common_fund"
        first, second, third = cast.voters[:3]
        self.propose(key, day=self.ago(150), author=cast.cooperant, approve_on=self.ago(149),
                     closes_at=_moment(self.ago(141), 8), kpa=cast.roubaix,
                     method=Method.CONSENT, review_on=self.ago(141) + dt.timedelta(days=365),
                     title="Caisse commune : 2 % des ventes de la friperie",
                     body="La friperie verse **2 %** de ses ventes à la caisse commune du KPA, "
                          "pour acheter du matériel partagé.")
        self.comment(key, self.ago(148), second, Comment.Kind.QUESTION,
                     "Qui décide de ce qu'on achète avec la caisse commune ?")
        self.advance(key, self.ago(147))
        self.comment(key, self.ago(147), third, Comment.Kind.REACTION,
                     "Bonne idée : la machine à coudre de l'atelier est bien fatiguée.")
        self.advance(key, self.ago(146))

        def object_(now: dt.datetime) -> None:
            self.objects["objection"] = ballots.raise_objection(
                self.proposal(key), actor=first, now=now,
                argument="Les mois où la friperie ne vend presque rien, 2 % pèsent sur celles "
                         "qui y travaillent. Il faut un seuil.")

        def integrate(now: dt.datetime) -> None:
            ballots.integrate_objection(
                self.objects["objection"], actor=cast.cooperant, now=now,
                resolution="La part n'est versée que les mois où la friperie vend plus de "
                           "300 €.",
                title="Caisse commune : 2 % des ventes de la friperie au-delà de 300 € par mois",
                body="La friperie verse **2 %** de ses ventes à la caisse commune du KPA, les "
                     "mois où elle vend plus de 300 €, pour acheter du matériel partagé.")

        self.on(self.ago(146), object_)
        self.on(self.ago(145), integrate)
        # The objector consents to the amended text, then the others.
        for index, user in enumerate([*cast.voters, cast.cooperant]):
            self.vote(key, self.ago(144 - index // 2), user, choice="consent")
        self.close(key, self.ago(141))
        self.ratify(key, self.ago(140))

    def shop_name(self) -> None:
        """Majority judgment, closed: the merit profiles of three names."""
        cast, key = self.cast, "shop_name"
        names = ("La Fabrique de l'Épeule", "Le Comptoir solidaire", "Fil & Bois")
        self.propose(key, day=self.ago(130), author=cast.referent, approve_on=self.ago(129),
                     closes_at=_moment(self.ago(121), 8), kpa=cast.roubaix,
                     method=Method.JUDGMENT, options=names,
                     title="Le nom de notre boutique commune",
                     body="Donnez une mention à chaque nom : le nom qui a la meilleure mention "
                          "majoritaire sera peint sur la vitrine.")
        grades = ((6, 3, 2), (5, 4, 1), (4, 4, 3), (5, 2, 2), (3, 5, 1))
        for index, (user, row) in enumerate(zip(cast.everyone, grades, strict=False)):
            self.vote(key, self.ago(128 - index), user, grades=dict(zip(names, row, strict=True)))
        self.close(key, self.ago(121))
        self.ratify(key, self.ago(120))

    def lille_autonomy(self) -> None:
        """Lille-Moulins votes itself autonomous; the administrator acts for its animateur."""
        cast, key = self.cast, "lille_autonomy"
        self.propose(key, day=self.ago(100), author=cast.cooperant, approve_on=self.ago(99),
                     make=lambda now: autonomy.propose_autonomy_change(
                         cast.lille, actor=cast.cooperant, now=now,
                         level=Kpa.Autonomy.AUTONOMOUS))
        for offset, (user, choice) in enumerate(zip(
                cast.lille_voters, ("for", "for", "for", "abstain"), strict=False)):
            self.vote(key, self.ago(98 - offset), user, choice=choice)
        self.close(key, self.ago(93))
        self.ratify(key, self.ago(92))

    def delegate_election(self) -> None:
        """Choice: Roubaix elects its delegate to the network (the coopérant persona)."""
        cast, key = self.cast, "delegate"
        persona = _person(cast.cooperant)
        candidates = [persona.full_name, *[_person(user).full_name for user in cast.voters[1:3]]]
        self.propose(key, day=self.ago(80), author=cast.referent, approve_on=self.ago(79),
                     closes_at=_moment(self.ago(73), 8), kpa=cast.roubaix,
                     method=Method.CHOICE, options=candidates,
                     title="Élire notre délégué·e au réseau KPA-Cité",
                     body="La personne élue porte la voix du KPA dans les votes du réseau "
                          "(un KPA = une voix) et aux rencontres Inter-KPA.")
        picks = (candidates[1], candidates[0], candidates[0], candidates[2], candidates[0])
        for index, (user, pick) in enumerate(zip(cast.everyone, picks, strict=False)):
            self.vote(key, self.ago(78 - index // 2), user, chosen=[pick])
        self.close(key, self.ago(73))
        self.ratify(key, self.ago(72))

        def designate(now: dt.datetime) -> None:
            decision = Decision.objects.get(proposal=self.proposals[key])
            delegates.designate_delegate(cast.roubaix, actor=cast.referent, person=persona,
                                         starts_on=timezone.localdate(now), decision=decision,
                                         today=timezone.localdate(now))

        self.on(self.ago(71), designate)

    def delegates_designated(self) -> None:
        """Each other KPA sends its référent, who designates themself as a lead."""
        for kpa, user in [(self.cast.lille, self.cast.lille_referent), *self.cast.delegates]:
            self.designate(self.ago(66), kpa, user)

    def framework_amended(self) -> None:
        """A network proposal adds a criterion; five KPAs answer, Roubaix by its own vote."""
        cast, key = self.cast, "framework"

        def draft(now: dt.datetime) -> None:
            today = timezone.localdate(now)
            version = framework.draft_framework_amendment(
                cast.network, actor=cast.coordinateur, today=today,
                label="Cadre 2026 : apprendre à décider ensemble")
            framework.add_criterion(version.pillars.get(position=2), actor=cast.coordinateur,
                                    text=AMENDMENT, evidence_key="governance", today=today)
            self.objects["draft"] = version

        def submit(now: dt.datetime) -> Proposal:
            version: FrameworkVersion = self.objects["draft"]
            assert version.based_on is not None
            return proposals.create_proposal(
                actor=cast.coordinateur, now=now, network=cast.network, method=Method.MAJORITY,
                framework_version=version, quorum_percent=50,
                closes_at=_moment(self.ago(45), 8),
                title=f"Modifier le cadre : {version.label}",
                body=framework.diff_markdown(framework.framework_diff(version.based_on,
                                                                      version)))

        self.on(self.ago(62), draft)
        self.propose(key, day=self.ago(60), author=cast.coordinateur, approve_on=None,
                     make=submit)
        # Roubaix answers by an internal vote, whose outcome is its one vote.
        internal = "framework_roubaix"
        self.propose(internal, day=self.ago(58), author=cast.referent, approve_on=self.ago(57),
                     make=lambda now: proposals.create_proposal(
                         actor=cast.referent, now=now, kpa=cast.roubaix,
                         method=Method.MAJORITY, closes_at=_moment(self.ago(51), 8),
                         network_proposal=self.proposal(key),
                         title="Notre vote au réseau : apprendre à décider ensemble",
                         body="Le réseau propose d'ajouter un critère à son cadre : "
                              f"« {AMENDMENT} »\n\nLe résultat de ce vote sera la voix du KPA."))
        for index, (user, choice) in enumerate(zip(
                cast.everyone, ("for", "for", "abstain", "for", "for"), strict=False)):
            self.vote(internal, self.ago(56 - index // 2), user, choice=choice)
        self.close(internal, self.ago(51))
        self.ratify(internal, self.ago(50))
        # The others by their delegates: the last KPA stays silent, the one before votes
        # against.
        voting = [cast.lille_referent, *[user for _kpa, user in cast.delegates[:-1]]]
        for index, user in enumerate(voting):
            choice = "against" if index == len(voting) - 1 else "for"
            self.vote(key, self.ago(55 - 2 * index), user, choice=choice)
        self.close(key, self.ago(45))

    def second_charter(self) -> None:
        """Charter v2, adopted by a consent proposal last month; not everyone has read it."""
        cast, key = self.cast, "charter_v2"
        start = _first(_first(self.today) - dt.timedelta(days=1)) + dt.timedelta(days=8)

        def draft(now: dt.datetime) -> None:
            self.objects["v2"] = charter.draft_charter_version(
                cast.roubaix, actor=cast.referent, body=CHARTER_V2,
                today=timezone.localdate(now))

        self.on(start, draft)
        self.propose(key, day=start + dt.timedelta(days=1), author=cast.referent,
                     approve_on=start + dt.timedelta(days=2),
                     make=lambda now: charter.propose_charter_version(
                         self.objects["v2"], actor=cast.referent, now=now))
        self.comment(key, start + dt.timedelta(days=3), cast.voters[2], Comment.Kind.QUESTION,
                     "Le planning de ménage, qui l'écrit ?")
        self.advance(key, start + dt.timedelta(days=3))
        self.advance(key, start + dt.timedelta(days=4))
        for index, user in enumerate(cast.everyone):
            self.vote(key, start + dt.timedelta(days=5 + index // 3), user, choice="consent")
        closes = start + dt.timedelta(days=8)  # the week after its creation
        self.close(key, closes)
        self.ratify(key, closes + dt.timedelta(days=1))
        readers = [cast.referent, cast.animateur, *cast.voters[:2]]
        for index, user in enumerate(readers):
            self.acknowledge(closes + dt.timedelta(days=2 + index % 2), user, "v2")

    def self_assessment(self) -> None:
        """Roubaix reads itself against the amended framework."""
        cast = self.cast
        answers = {
            "1.1": ("met", "Une friperie collective, une menuiserie et des prestations de "
                           "couture tournent dans l'atelier."),
            "1.2": ("in_progress", "Une accompagnatrice est en poste ; le réseau de "
                                   "professionnels reste à construire."),
            "1.4": ("met", "La CAE Cap Nord Activités porte nos contrats CAPE et suit la "
                           "trésorerie de chacun·e sur la plateforme."),
            "2.1": ("met", "Nos votes et nos réunions sont sur la plateforme ; l'animateur "
                           "valide encore les résultats."),
            "2.3": ("met", "Charte adoptée en assemblée, revue le mois dernier."),
            "2.5": ("in_progress", "Un atelier « décider ensemble » est prévu pour les "
                                   "nouveaux arrivants."),
            "3.1": ("met", "L'Atelier de la Condition Publique : chacun·e a les clés."),
            "5.6": ("not_yet", "La forme du soutien au réseau sera discutée en assemblée."),
        }

        def save(now: dt.datetime, user: User, codes: Sequence[str]) -> None:
            version = framework.current_version(cast.network)
            ids = dict(FrameworkCriterion.objects.filter(pillar__version=version,
                                                         code__in=codes)
                       .values_list("code", "pk"))
            assessment.save_assessment(
                cast.roubaix, actor=user, today=timezone.localdate(now),
                answers={ids[code]: answers[code] for code in codes if code in ids})

        self.on(self.ago(30), lambda now: save(now, cast.referent, list(answers)[:-2]))
        self.on(self.ago(28), lambda now: save(now, cast.cooperant, list(answers)[-2:]))

    def monthly_meeting(self) -> None:
        """Last meeting: agenda, attendance, minutes and a show of hands, ratified."""
        cast, held = self.cast, self.ago(10)

        def plan(now: dt.datetime) -> None:
            self.objects["monthly"] = meetings.plan_meeting(
                actor=cast.referent, now=now, kpa=cast.roubaix, title="Réunion du collectif",
                starts_at=_moment(held, 18), ends_at=_moment(held, 20),
                location=self._place(), proposal_ids=[self.proposals["sewing_machine"].pk],
                agenda="1. Nouvelles des activités\n2. La machine à coudre (vote en cours)\n"
                       "3. Les fêtes de fin d'année : fermer l'atelier ?")

        def record(now: dt.datetime) -> None:
            meeting = self.objects["monthly"]
            present = self._attendance(meeting, now, cast.referent, excused=2, absent=0)
            decision = meetings.record_show_of_hands(
                meeting, actor=cast.referent, now=now,
                title="Fermer l'atelier du 24 décembre au 2 janvier",
                summary="L'atelier ferme pendant les fêtes ; la friperie fait une vente "
                        "spéciale le 23 décembre.", votes_for=present - 2, against=1,
                abstain=1)
            self.objects["monthly_decision"] = decision
            meetings.publish_minutes(
                meeting, actor=cast.referent, now=now,
                minutes="## Compte rendu\n\n- Activités : la friperie a bien vendu en "
                        "octobre.\n- Machine à coudre : le vote est ouvert jusqu'à la semaine "
                        "prochaine.\n- Fêtes : fermeture votée à main levée.")

        self.on(self.ago(12), plan)
        self.on(self.ago(9), record)
        self.on(self.ago(8), lambda now: register.ratify_decision(
            self.objects["monthly_decision"], actor=cast.animateur, now=now))

    def sewing_machine(self) -> None:
        """Majority, closed a few days ago: its decision awaits the animateur's ratification."""
        cast, key = self.cast, "sewing_machine"
        self.propose(key, day=self.ago(14), author=cast.voters[2], approve_on=self.ago(13),
                     closes_at=_moment(self.ago(4), 8), kpa=cast.roubaix,
                     method=Method.MAJORITY,
                     title="Acheter une machine à coudre professionnelle (1 200 €)",
                     body="Avec la caisse commune, acheter une machine à coudre piqueuse "
                          "plate d'occasion pour l'atelier.")
        for index, (user, choice) in enumerate(zip(
                cast.everyone, ("for", "for", "for", "against", "for"), strict=False)):
            self.vote(key, self.ago(12 - index), user, choice=choice)
        self.close(key, self.ago(4))

    def open_votes(self) -> None:
        """What is being decided now in Roubaix."""
        cast = self.cast
        first, second, third = cast.voters[:3]
        # Consent, in its reactions round.
        self.propose("cleaning", day=self.ago(5), author=third, approve_on=self.ago(4),
                     closes_at=self.ahead(6), kpa=cast.roubaix, method=Method.CONSENT,
                     title="Un planning de ménage pour l'atelier",
                     body="Chaque semaine, deux personnes font le ménage de l'atelier le "
                          "samedi à 17 h, selon un planning affiché près de la porte.")
        self.comment("cleaning", self.ago(3), second, Comment.Kind.QUESTION,
                     "Et les personnes qui ne viennent jamais le samedi ?")
        self.advance("cleaning", self.ago(2))
        self.comment("cleaning", self.ago(1), first, Comment.Kind.REACTION,
                     "D'accord si on peut échanger son tour avec quelqu'un.")
        # Majority judgment the persona has not graded yet.
        workshops = ("Réparation de vélos", "Cuisine partagée", "Sérigraphie")
        self.propose("workshop", day=self.ago(4), author=cast.referent, approve_on=self.ago(3),
                     closes_at=self.ahead(7), kpa=cast.roubaix, method=Method.JUDGMENT,
                     options=workshops, title="Quel nouvel atelier ouvrir en 2027 ?",
                     body="Donnez une mention à chaque atelier. Le mieux jugé sera lancé au "
                          "printemps.")
        for offset, user, row in ((2, first, (5, 3, 2)), (2, second, (3, 5, 4)),
                                  (1, third, (4, 4, 1))):
            self.vote("workshop", self.ago(offset), user,
                      grades=dict(zip(workshops, row, strict=True)))
        # Approval vote: several days may be chosen.
        days = ("Lundi", "Mercredi", "Samedi")
        self.propose("holidays", day=self.ago(3), author=first, approve_on=self.ago(2),
                     closes_at=self.ahead(5), kpa=cast.roubaix, method=Method.CHOICE,
                     choice_mode=Proposal.ChoiceMode.APPROVAL, options=days,
                     title="Permanences de décembre : quels jours ?",
                     body="Cochez tous les jours où la boutique peut ouvrir en décembre.")
        for user, chosen in ((cast.cooperant, days[1:]), (first, days[:1] + days[2:]),
                             (cast.voters[-1], days[2:])):
            self.vote("holidays", self.ago(1), user, chosen=chosen)
        # A working group's own vote.
        def group(now: dt.datetime) -> None:
            """No service writes working groups yet: the members of the KPA's collective
            activities, and the author of the group's proposal."""
            sellers = ActivityMembership.objects.current(timezone.localdate(now)).filter(
                activity__kpa=cast.roubaix, activity__kind=Activity.Kind.COLLECTIVE)
            members = {*sellers.values_list("person_id", flat=True),
                       *(_person(user).pk for user in (cast.cooperant, first))}
            created = WorkingGroup.objects.create(kpa=cast.roubaix, name="Groupe friperie")
            created.members.set(sorted(members))
            audit.record(actor=cast.referent, action="governance.working_group.created",
                         target=created, data={"kpa": cast.roubaix.pk,
                                               "members": sorted(members)})
            self.objects["group"] = created

        self.on(self.ago(20), group)
        self.propose("racks", day=self.ago(6), author=first, approve_on=self.ago(5),
                     make=lambda now: proposals.create_proposal(
                         actor=first, now=now, kpa=cast.roubaix, group=self.objects["group"],
                         method=Method.MAJORITY, closes_at=self.ahead(4),
                         title="Acheter deux portants et un miroir (180 €)",
                         body="Pour présenter les vêtements d'hiver et permettre les essayages."))
        self.vote("racks", self.ago(3), first, choice="for")

    def network_gathering(self) -> None:
        """A second network proposal, open: two KPAs have answered."""
        cast, key = self.cast, "gathering"
        places = ("Roubaix", "La Rochelle", "Boulogne-sur-Mer")
        self.propose(key, day=self.ago(6), author=cast.coordinateur, approve_on=None,
                     closes_at=self.ahead(9), network=cast.network, method=Method.CHOICE,
                     options=places, title="Où tenir la rencontre Inter-KPA de 2027 ?",
                     body="Chaque KPA choisit une ville, par sa ou son délégué·e ou par un "
                          "vote interne.")
        voting = [user for _kpa, user in cast.delegates[:2]]
        for index, user in enumerate(voting):
            self.vote(key, self.ago(3 - index), user, chosen=[places[index]])

    def next_meeting(self) -> None:
        cast = self.cast
        self.on(self.ago(2), lambda now: meetings.plan_meeting(
            actor=cast.referent, now=now, kpa=cast.roubaix, title="Réunion du collectif",
            starts_at=self.ahead(9), ends_at=self.ahead(9, hour=20), location=self._place(),
            proposal_ids=[self.proposals["cleaning"].pk, self.proposals["workshop"].pk],
            agenda="1. Résultat du jugement sur le nouvel atelier\n"
                   "2. Le planning de ménage\n3. Préparer la vente de Noël"))

    # -- helpers ----------------------------------------------------------------------------

    def _place(self) -> str:
        place = Place.objects.filter(kpa=self.cast.roubaix).order_by("pk").first()
        return place.name if place is not None else ""

    def _attendance(self, meeting: Meeting, now: dt.datetime, actor: User, *, excused: int,
                    absent: int) -> int:
        """Everyone present but the last few members (excused, then absent); returns how many
        were present."""
        today = timezone.localdate(now)
        people = list(meetings.participants(meeting, today=today).values_list("pk", flat=True))
        statuses = dict.fromkeys(people, Attendance.Status.PRESENT)
        for pk in people[len(people) - excused - absent:len(people) - absent]:
            statuses[pk] = Attendance.Status.EXCUSED
        for pk in people[len(people) - absent:]:
            statuses[pk] = Attendance.Status.ABSENT
        meetings.record_attendance(meeting, actor=actor, statuses=statuses, today=today)
        return sum(1 for status in statuses.values() if status == Attendance.Status.PRESENT)


# -- entry points ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoGovernanceResult:
    created: bool
    proposals: int = 0
    open: int = 0
    decisions: int = 0
    meetings: int = 0
    charter_versions: int = 0
    framework_versions: int = 0
    assessments: int = 0
    seconds: float = 0.0
    skipped: str = ""


def _counts(created: bool, network: Network, seconds: float = 0.0) -> DemoGovernanceResult:
    scope = Q(kpa__network=network) | Q(network=network)
    found = Proposal.objects.filter(scope)
    return DemoGovernanceResult(
        created=created, proposals=found.count(),
        open=found.filter(status=Proposal.Status.OPEN).count(),
        decisions=Decision.objects.filter(scope).count(),
        meetings=Meeting.objects.filter(scope).count(),
        charter_versions=CharterVersion.objects.filter(kpa__network=network).count(),
        framework_versions=FrameworkVersion.objects.filter(network=network).count(),
        assessments=SelfAssessment.objects.filter(kpa__network=network).count(),
        seconds=seconds)


def seed_demo_governance(*, today: dt.date) -> DemoGovernanceResult:
    started = time.perf_counter()
    network = Network.objects.filter(name=NETWORK_NAME).first()
    if network is None:
        return DemoGovernanceResult(False, skipped="pas de réseau de démonstration")
    if Proposal.objects.filter(_demo_proposals()).exists():
        return _counts(False, network)
    first_day = today - dt.timedelta(days=STORY_DAYS)
    # The patch encloses the transaction: notifications queue their mails until it commits.
    with mock.patch.object(notifications, "_send", no_mail), transaction.atomic():
        cast = _cast(network, today)
        if isinstance(cast, str):
            transaction.set_rollback(True)
            return DemoGovernanceResult(False, skipped=cast)
        since = _since(cast)
        if first_day < since:
            transaction.set_rollback(True)
            return DemoGovernanceResult(False, skipped=(
                f"l'histoire commencerait le {first_day:%d/%m/%Y}, avant l'arrivée de "
                f"l'équipe le {since:%d/%m/%Y}"))
        story = _Story(Plan(today), cast, today)
        story.schedule()
        story.plan.play()
    return _counts(True, network, time.perf_counter() - started)


def seed_app_demo(*, today: dt.date) -> str:
    """The `kpa seed_demo` hook: one line for the console."""
    result = seed_demo_governance(today=today)
    if result.skipped:
        return f"Gouvernance : rien à faire ({result.skipped})."
    verb = "créée" if result.created else "déjà présente"
    return (f"Gouvernance {verb} : {result.proposals} propositions dont {result.open} "
            f"ouvertes, {result.decisions} décisions au registre, {result.meetings} réunions, "
            f"{result.charter_versions} versions de charte, {result.framework_versions} "
            f"versions du cadre, {result.assessments} auto-évaluation.")
