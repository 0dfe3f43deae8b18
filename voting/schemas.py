"""JSON shapes of the polls API (documented in the OpenAPI file). Rules live in the services."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, StrictInt

from app.api import PageQuery, StrictModel
from voting.models import Poll, PollStatus
from voting.services import decision_history, phase


class PollPath(BaseModel):
    poll_id: int


class ReceiptPath(BaseModel):
    poll_id: int
    receipt: str = Field(max_length=200)


class PollListQuery(PageQuery):
    status: Literal["draft", "open", "closed"] | None = None


class ExportQuery(BaseModel):
    format: Literal["csv", "json"] = "json"


class OptionIn(StrictModel):
    text: str = Field(max_length=300, examples=["Отделение банка"])
    description: str | None = Field(None, max_length=2000)
    okrug: str | None = Field(None, max_length=40, examples=["ЦАО"])
    lat: float | None = Field(None, examples=[55.7558])
    lon: float | None = Field(None, examples=[37.6173])


class QuestionIn(StrictModel):
    text: str = Field(max_length=500)
    kind: Literal["single", "multiple", "open"] = "single"
    max_choices: StrictInt | None = None
    options: list[OptionIn] = Field(default_factory=list, max_length=50)


class AudienceIn(StrictModel):
    okrugs: list[str] = Field(default_factory=list, max_length=20)
    districts: list[str] = Field(default_factory=list, max_length=200)


class PollIn(StrictModel):
    title: str = Field(max_length=200)
    description: str | None = Field(None, max_length=10_000)
    questions: list[QuestionIn] = Field(max_length=20)
    audience: Literal["everyone"] | AudienceIn = "everyone"
    results: Literal["live", "after_close"] = "after_close"
    opens_at: AwareDatetime | None = None
    closes_at: AwareDatetime | None = None


class PollPatch(StrictModel):
    title: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=10_000)
    questions: list[QuestionIn] | None = Field(None, max_length=20)
    audience: Literal["everyone"] | AudienceIn | None = None
    results: Literal["live", "after_close"] | None = None
    opens_at: AwareDatetime | None = None
    closes_at: AwareDatetime | None = None
    status: Literal["open", "closed"] | None = None


def content_fields(body: PollIn | PollPatch) -> dict[str, Any]:
    """The body's poll fields as the services take them (only those sent, for PATCH)."""
    sent = body.model_fields_set - {"status"}
    fields: dict[str, Any] = {}
    for name in sent:
        value = getattr(body, name)
        if name == "questions" and value is not None:
            value = [q.model_dump() for q in value]
        elif name == "audience" and isinstance(value, AudienceIn):
            value = value.model_dump()
        fields[name] = value
    return fields


class AnswerIn(StrictModel):
    question_id: StrictInt
    option_ids: list[StrictInt] | None = Field(None, max_length=50)
    text: str | None = Field(None, max_length=10_000)


class VoteIn(StrictModel):
    answers: list[AnswerIn] = Field(max_length=50)


class ReceiptOut(BaseModel):
    receipt: str = Field(description="Shown once: keep it to check your ballot after closing")
    poll_id: int
    check_url: str


class OptionOut(BaseModel):
    id: int
    text: str
    description: str
    okrug: str | None
    lat: float | None
    lon: float | None


class QuestionOut(BaseModel):
    id: int
    text: str
    kind: str
    max_choices: int
    options: list[OptionOut]


class PollDecisionVersionOut(BaseModel):
    version: int = Field(description="1 for the decision as first published, then each correction")
    text: str
    reason: str | None = Field(description="Why this version corrects the one before; null for 1")
    published_at: datetime


class PollDecisionOut(BaseModel):
    """The current decision (its newest version) and every version, oldest first."""

    text: str
    published_at: datetime = Field(description="When the current version was published")
    version: int
    versions: list[PollDecisionVersionOut]


class PollOut(BaseModel):
    id: int
    title: str
    description: str
    status: Literal["draft", "open", "closed"]
    phase: Literal["draft", "scheduled", "open", "closed"]
    audience: Literal["everyone"] | AudienceIn
    results: Literal["live", "after_close"]
    opens_at: datetime | None
    closes_at: datetime | None
    opened_at: datetime | None
    closed_at: datetime | None
    questions: list[QuestionOut]
    ledger_root: str | None
    ledger_size: int | None
    decision: PollDecisionOut | None
    follow_up_of: int | None

    @classmethod
    def of(cls, poll: Poll) -> PollOut:
        state = phase(poll)
        return cls(
            id=poll.id,
            title=poll.title,
            description=poll.description,
            # A poll past its closing time reads as closed even before anyone closed it.
            status="closed" if state == "closed" else poll.status.value,  # type: ignore[arg-type]
            phase=state,  # type: ignore[arg-type]
            audience="everyone"
            if poll.is_for_everyone
            else AudienceIn(okrugs=poll.audience_okrugs, districts=poll.audience_districts),
            results=poll.results_visibility.value,  # type: ignore[arg-type]
            opens_at=poll.opens_at,
            closes_at=poll.closes_at,
            opened_at=poll.opened_at,
            closed_at=poll.closed_at,
            questions=[
                QuestionOut(
                    id=q.id,
                    text=q.text,
                    kind=q.kind.value,
                    max_choices=q.max_choices,
                    options=[
                        OptionOut(
                            id=o.id,
                            text=o.text,
                            description=o.description,
                            okrug=o.okrug,
                            lat=o.lat,
                            lon=o.lon,
                        )
                        for o in q.options
                    ],
                )
                for q in poll.questions
            ],
            ledger_root=poll.ledger_root if poll.status is PollStatus.CLOSED else None,
            ledger_size=poll.ledger_size if poll.status is PollStatus.CLOSED else None,
            decision=PollDecisionOut.model_validate(history)
            if (history := decision_history(poll))
            else None,
            follow_up_of=poll.follow_up_of_id,
        )


class PollPageOut(BaseModel):
    items: list[PollOut]
    page: int
    per_page: int
    total: int


class OptionResultOut(BaseModel):
    id: int
    text: str
    okrug: str | None
    lat: float | None
    lon: float | None
    votes: int
    share: float


class QuestionResultOut(BaseModel):
    id: int
    text: str
    kind: str
    max_choices: int
    options: list[OptionResultOut]
    open_answers: int


class TurnoutOut(BaseModel):
    ballots: int
    audience: int
    share: float


class OkrugResultOut(BaseModel):
    okrug: str | None
    abbrev: str
    ballots: int | None = Field(
        description="Ballots from the okrug; null when the cell is withheld (`suppressed`)"
    )
    share: float | None
    options: dict[str, int] | None = Field(
        description="Votes per option id from the okrug; null when the cell is withheld"
    )
    suppressed: bool = Field(
        description="True for an okrug with fewer than `below` voters («менее K»), and for "
        "the smallest others withheld with it so that no total minus the shown okrugs gives "
        "it back"
    )
    below: int | None = Field(
        description="K when the okrug has fewer than K voters («менее K»); null otherwise "
        "(shown, or withheld with such an okrug)"
    )


class HourOut(BaseModel):
    hour: str
    ballots: int = Field(
        description="Residents who voted in that hour (UTC), counted from the participations"
    )


class PollResultsOut(BaseModel):
    poll_id: int
    title: str
    status: str
    final: bool
    computed_at: str
    ballots: int
    turnout: TurnoutOut
    questions: list[QuestionResultOut]
    by_okrug: list[OkrugResultOut]
    over_time: list[HourOut]
    ledger_root: str | None
    ledger_size: int | None
    decision: PollDecisionOut | None


class BallotAnswerOut(BaseModel):
    question_id: int
    option_ids: list[int] | None = None
    text: str | None = None


class BallotOut(BaseModel):
    id: str
    poll_id: int
    okrug: str | None
    hour: str
    receipt_hash: str
    answers: list[BallotAnswerOut]


class LedgerHeadOut(BaseModel):
    """A signed tree head. The signature is Ed25519 over the UTF-8 of the JSON object
    {participations, poll_id, root, timestamp, tree_size} with sorted keys and
    separators (",", ":")."""

    tree_size: int
    root: str = Field(description="RFC 9162 Merkle tree hash, lowercase hex")
    participations: int = Field(description="Participations whose ballots are in the tree")
    timestamp: int = Field(description="Milliseconds since 1970-01-01 UTC")
    signature: str = Field(description="Ed25519 signature, lowercase hex")
    public_key: str = Field(description="The site's ledger key (Ed25519), lowercase hex")


class BallotsOut(BaseModel):
    poll_id: int
    ledger_root: str
    ledger_size: int
    tree_head: LedgerHeadOut
    hashing: str
    ballots: list[BallotOut] = Field(description="In tree order")


class ConsistencyQuery(BaseModel):
    first: int = Field(description="The older tree size, 1 ≤ first ≤ second")
    second: int = Field(description="The newer tree size, at most the current one")


class ConsistencyOut(BaseModel):
    first: int
    second: int
    proof: list[str] = Field(description="RFC 9162 consistency proof, lowercase hex")


class LeavesQuery(BaseModel):
    start: int = Field(description="The first leaf, from 0")
    end: int = Field(description="After the last leaf (exclusive); at most 1,000 leaves")


class LeafOut(BaseModel):
    index: int
    ballot: BallotOut = Field(description="The leaf's bytes are this, as canonical JSON")


class LeavesOut(BaseModel):
    start: int
    end: int
    leaves: list[LeafOut]


class ReceiptStatusOut(BaseModel):
    status: Literal["sealed", "recorded"] = Field(
        description="sealed: not yet in the ledger; recorded: in it, with the proof"
    )
    leaf_index: int | None = None
    tree_size: int | None = None
    proof: list[str] | None = Field(
        None, description="RFC 9162 inclusion proof in the tree of tree_size, lowercase hex"
    )
    ballot: BallotOut | None = None


class PollDecisionIn(StrictModel):
    text: str = Field(max_length=10_000)
    reason: str | None = Field(
        default=None,
        max_length=2000,
        description="Required to correct a published decision (each version is kept); "
        "not given with the first one",
    )
