"""Polls, their questions and options; participations and anonymous ballots.

Secrecy is a property of the schema: `Participation` says who took part (and keeps what the
coordinated-voting report needs), `Ballot` says what was chosen, and nothing joins them: a
ballot has a random id, no user id and no exact time (only the hour, and the voter's okrug
for the breakdown). The two rows are written in one transaction, so a UNIQUE(poll, user) on
participations makes one ballot per person a fact of the database.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import str_enum, utcnow
from app.extensions import db


class PollStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class ResultsVisibility(enum.StrEnum):
    LIVE = "live"
    AFTER_CLOSE = "after_close"


class QuestionKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    OPEN = "open"


class Poll(db.Model):
    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[PollStatus] = mapped_column(str_enum(PollStatus), default=PollStatus.DRAFT)
    # Empty lists on both sides mean «everyone»: every verified resident of Moscow.
    audience_okrugs: Mapped[list[str]] = mapped_column(JSON, default=list)
    audience_districts: Mapped[list[str]] = mapped_column(JSON, default=list)
    results_visibility: Mapped[ResultsVisibility] = mapped_column(
        str_enum(ResultsVisibility), default=ResultsVisibility.AFTER_CLOSE
    )
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    ledger_root: Mapped[str | None] = mapped_column(String(64))
    ledger_size: Mapped[int | None]
    # The current decision (its newest version) and when that version was published; every
    # version, this one included, is kept in `decision_versions`.
    decision_text: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    # A poll made from the clustered open answers of another one.
    follow_up_of_id: Mapped[int | None] = mapped_column(ForeignKey("polls.id", ondelete="SET NULL"))

    questions: Mapped[list[Question]] = relationship(
        back_populates="poll",
        cascade="all, delete-orphan",
        order_by="Question.position",
        lazy="selectin",
    )
    # Read only for polls with a decision: most polls have none.
    decision_versions: Mapped[list[PollDecisionVersion]] = relationship(
        cascade="all, delete-orphan", order_by="PollDecisionVersion.version", lazy="select"
    )

    @property
    def is_for_everyone(self) -> bool:
        return not self.audience_okrugs and not self.audience_districts

    def __repr__(self) -> str:
        return f"<Poll {self.id} {self.status}>"


class PollDecisionVersion(db.Model):
    """One published text of a poll's decision: version 1 as first published, each later one
    a correction with its reason. Never rewritten (the migration's trigger refuses changes to
    the text, the reason, the version and the times); the newest is the current decision."""

    __tablename__ = "poll_decision_versions"
    __table_args__ = (UniqueConstraint("poll_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    version: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    # Why this version corrects the one before it; None for the first.
    reason: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Question(db.Model):
    __tablename__ = "poll_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(String(500))
    kind: Mapped[QuestionKind] = mapped_column(str_enum(QuestionKind))
    max_choices: Mapped[int] = mapped_column(default=1)

    poll: Mapped[Poll] = relationship(back_populates="questions")
    options: Mapped[list[PollOption]] = relationship(
        back_populates="question",
        cascade="all, delete-orphan",
        order_by="PollOption.position",
        lazy="selectin",
    )

    @property
    def is_location(self) -> bool:
        return any(o.lat is not None and o.lon is not None for o in self.options)


class PollOption(db.Model):
    __tablename__ = "poll_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("poll_questions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    okrug: Mapped[str | None] = mapped_column(String(20))
    lat: Mapped[float | None]
    lon: Mapped[float | None]

    question: Mapped[Question] = relationship(back_populates="options")


class Participation(db.Model):
    """That a person took part in a poll; never which ballot is theirs."""

    __tablename__ = "poll_participations"
    __table_args__ = (
        UniqueConstraint("poll_id", "user_id"),
        Index("ix_poll_participations_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Keyed hashes (HMAC with ADDRESS_HASH_KEY, app/keys.py) of the network address and the
    # device signature, for the coordinated-voting report; the raw values are not kept.
    address_hash: Mapped[str | None] = mapped_column(String(32))
    device_hash: Mapped[str | None] = mapped_column(String(32))


class Ballot(db.Model):
    """One anonymous ballot, stored exactly as it is hashed into the ledger.

    `content` is the canonical JSON of the ballot (see `voting.ledger.canonical`), and
    `leaf_hash` its leaf hash; `choices` repeat the chosen options for counting.
    """

    __tablename__ = "poll_ballots"
    __table_args__ = (
        Index("ix_poll_ballots_poll_id_leaf_hash", "poll_id", "leaf_hash"),
        Index("ix_poll_ballots_poll_okrug_hour", "poll_id", "okrug", "cast_hour"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4, never sequential
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)
    okrug: Mapped[str | None] = mapped_column(String(20))
    cast_hour: Mapped[datetime]  # truncated to the hour: the only time a ballot keeps
    content: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[str] = mapped_column(String(64))


class BallotChoice(db.Model):
    """An option chosen on a ballot, with the ballot's okrug, for fast counting."""

    __tablename__ = "poll_ballot_choices"
    __table_args__ = (Index("ix_poll_ballot_choices_poll_option", "poll_id", "option_id", "okrug"),)

    ballot_id: Mapped[str] = mapped_column(
        ForeignKey("poll_ballots.id", ondelete="CASCADE"), primary_key=True
    )
    option_id: Mapped[int] = mapped_column(
        ForeignKey("poll_options.id", ondelete="CASCADE"), primary_key=True
    )
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    okrug: Mapped[str | None] = mapped_column(String(20))


class BallotText(db.Model):
    """A free-text answer of a ballot (also inside its content), for clustering and counts."""

    __tablename__ = "poll_ballot_texts"

    ballot_id: Mapped[str] = mapped_column(
        ForeignKey("poll_ballots.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("poll_questions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    text: Mapped[str] = mapped_column(Text)


class LedgerLeaf(db.Model):
    """A ballot's place in its poll's ledger (RFC 9162 tree): leaf `leaf_index` is the
    ballot's `content`. Leaves are only ever appended, in each batch's shuffled order."""

    __tablename__ = "poll_ledger_leaves"

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True
    )
    leaf_index: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    ballot_id: Mapped[str] = mapped_column(
        ForeignKey("poll_ballots.id", ondelete="CASCADE"), unique=True
    )


class LedgerNode(db.Model):
    """The hash of a complete power-of-two subtree of a poll's ledger: level 0 holds the leaf
    hashes, `(level, node_index)` covers leaves `node_index * 2**level` onwards. Stored as
    leaves are appended, so that any proof reads O(log² n) rows (voting.merkle)."""

    __tablename__ = "poll_ledger_nodes"

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True
    )
    level: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    node_index: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))


class LedgerHead(db.Model):
    """A signed tree head, written after each appended batch: what observers keep and
    compare (`timestamp` in milliseconds since the epoch, as RFC 9162 counts time)."""

    __tablename__ = "poll_ledger_heads"
    __table_args__ = (Index("ix_poll_ledger_heads_poll_size", "poll_id", "tree_size"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    tree_size: Mapped[int]
    root: Mapped[str] = mapped_column(String(64))
    participations: Mapped[int]
    timestamp: Mapped[int] = mapped_column(BigInteger)
    signature: Mapped[str] = mapped_column(String(128))


class PollTally(db.Model):
    """The final tally of a closed poll, counted once when it closed.

    Only closed polls have one: a live poll is counted on demand and never stored, so no
    history of tallies builds up while a poll is open (issue #17: successive stored counts,
    set beside the participations' times, would tell how each newcomer voted).
    """

    __tablename__ = "poll_tallies"

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True
    )
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    ballots: Mapped[int] = mapped_column(default=0)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


__all__ = [
    "Ballot",
    "BallotChoice",
    "BallotText",
    "LedgerHead",
    "LedgerLeaf",
    "LedgerNode",
    "Participation",
    "Poll",
    "PollDecisionVersion",
    "PollOption",
    "PollStatus",
    "PollTally",
    "Question",
    "QuestionKind",
    "ResultsVisibility",
]
