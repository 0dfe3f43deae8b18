"""A poll's ledger: an RFC 9162 tree that only grows, by appended batches, each followed by a
signed tree head; and what the API publishes of it (heads, consistency proofs, pages of
leaves, receipts with their inclusion proofs, the whole `ballots.json`).

"Store what the tree needs; never rebuild it per request": appending stores every leaf's
place and the hash of every complete power-of-two subtree (`LedgerNode`), so a proof reads
O(log² n) stored hashes in one query and a page of leaves is a range of the primary key,
whatever the size of the poll.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol

from flask import current_app
from flask_babel import gettext as _
from nacl.signing import SigningKey
from sqlalchemy import func, insert, select, tuple_

from app.db import utcnow
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from voting import merkle
from voting.models import (
    Ballot,
    LedgerHead,
    LedgerLeaf,
    LedgerNode,
    Participation,
    Poll,
    PollStatus,
)
from voting.verify import head_message, normalize_receipt, receipt_hash

# The most leaves one `leaves` request returns (the API contract).
MAX_LEAVES_PAGE = 1000
# Rows per INSERT while appending (not on PostgreSQL, which COPYs them).
INSERT_CHUNK = 5000


class LeafSource(Protocol):
    """What appending needs of a ballot: a `Ballot`, or a row of its id and leaf hash."""

    @property
    def id(self) -> str: ...

    @property
    def leaf_hash(self) -> str: ...


def signing_key() -> SigningKey:
    return SigningKey(bytes.fromhex(str(current_app.config["LEDGER_SIGNING_KEY"])))


def public_key() -> str:
    """The ledger key's public half, in hex: what every head is checked against."""
    return bytes(signing_key().verify_key).hex()


def append_batch(
    poll: Poll,
    ballots_in_order: Sequence[LeafSource],
    participations: int,
    now: datetime | None = None,
) -> LedgerHead:
    """Append these ballots as leaves, in the order given (a batch's shuffled order), store
    the subtrees they complete, and write the signed head of the grown tree.

    `participations` is the number of participations whose ballots are now in the tree,
    counted by the caller from the participations themselves, so that an observer can
    compare it with `tree_size`. The caller holds the poll's row lock (two appends at once
    would collide on the leaves' primary key rather than interleave); flushes only.
    """
    old_size = current_size(poll.id)
    frontier = read_nodes(poll.id, merkle.root_nodes(old_size))
    made = merkle.new_nodes(
        old_size, [bytes.fromhex(b.leaf_hash) for b in ballots_in_order], frontier
    )
    _insert(
        LedgerLeaf,
        ("poll_id", "leaf_index", "ballot_id"),
        [(poll.id, old_size + i, b.id) for i, b in enumerate(ballots_in_order)],
    )
    _insert(
        LedgerNode,
        ("poll_id", "level", "node_index", "hash"),
        [(poll.id, level, index, digest.hex()) for (level, index), digest in made.items()],
    )
    size = old_size + len(ballots_in_order)
    known = {**frontier, **made}
    root = merkle.fold([known[n] for n in merkle.root_nodes(size)]) if size else merkle.EMPTY_ROOT
    head = LedgerHead(
        poll_id=poll.id,
        tree_size=size,
        root=root.hex(),
        participations=participations,
        timestamp=int((now or utcnow()).timestamp() * 1000),
    )
    head.signature = _sign(head)
    db.session.add(head)
    db.session.flush()
    return head


def seal_waiting_ballots(poll: Poll, now: datetime | None = None) -> LedgerHead:
    """Append every ballot of the poll that is not in its tree yet, as one shuffled batch
    (the tree must not keep the order of voting), and record the new head on the poll.

    Until the ballot box appends batches while a poll runs, closing a poll calls this; so
    does `flask polls seal-ledgers` for polls closed before the ledger was a tree. The
    caller holds the poll's row lock; flushes only.
    """
    waiting = list(
        db.session.execute(
            select(Ballot.id, Ballot.leaf_hash).where(
                Ballot.poll_id == poll.id,
                ~select(LedgerLeaf.ballot_id).where(LedgerLeaf.ballot_id == Ballot.id).exists(),
            )
        )
    )
    secrets.SystemRandom().shuffle(waiting)
    participations = db.session.scalar(
        select(func.count()).select_from(Participation).where(Participation.poll_id == poll.id)
    )
    head = append_batch(poll, waiting, participations or 0, now)
    poll.ledger_root = head.root
    poll.ledger_size = head.tree_size
    db.session.flush()
    return head


def list_unsealed_closed_polls() -> list[Poll]:
    """Closed polls with ballots outside their tree: those closed before the ledger was an
    RFC 9162 tree (migration 0011 keeps their ballots but could not sign a head)."""
    in_tree = (
        select(func.count())
        .select_from(LedgerLeaf)
        .where(LedgerLeaf.poll_id == Poll.id)
        .scalar_subquery()
    )
    ballots = (
        select(func.count()).select_from(Ballot).where(Ballot.poll_id == Poll.id).scalar_subquery()
    )
    return list(
        db.session.scalars(
            select(Poll)
            .where(Poll.status == PollStatus.CLOSED, ballots > in_tree)
            .order_by(Poll.id)
            .with_for_update()
        )
    )


def _insert(table: type[db.Model], columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Write appended rows: COPY on PostgreSQL (closing a poll of a million ballots writes
    three million rows: COPY takes less than half the time of batched INSERTs), else INSERTs."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        sql = f"COPY {table.__tablename__} ({', '.join(columns)}) FROM STDIN"
        with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
        return
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start : start + INSERT_CHUNK]
        connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in chunk])


def _sign(head: LedgerHead) -> str:
    fields = _signed_fields(head)
    return signing_key().sign(head_message(head.poll_id, fields)).signature.hex()


def _signed_fields(head: LedgerHead) -> dict[str, Any]:
    return {
        "tree_size": head.tree_size,
        "root": head.root,
        "participations": head.participations,
        "timestamp": head.timestamp,
    }


def latest_head(poll_id: int) -> LedgerHead | None:
    return db.session.scalar(
        select(LedgerHead)
        .where(LedgerHead.poll_id == poll_id)
        .order_by(LedgerHead.tree_size.desc(), LedgerHead.id.desc())
        .limit(1)
    )


def current_size(poll_id: int) -> int:
    head = latest_head(poll_id)
    return head.tree_size if head else 0


def read_nodes(poll_id: int, wanted: Collection[merkle.Node]) -> dict[merkle.Node, bytes]:
    """These stored subtree hashes, in one query."""
    if not wanted:
        return {}
    rows = db.session.execute(
        select(LedgerNode.level, LedgerNode.node_index, LedgerNode.hash).where(
            LedgerNode.poll_id == poll_id,
            tuple_(LedgerNode.level, LedgerNode.node_index).in_(list(wanted)),
        )
    )
    return {(level, index): bytes.fromhex(digest) for level, index, digest in rows}


def _proof(poll_id: int, ranges: list[merkle.Range]) -> list[str]:
    nodes = read_nodes(poll_id, merkle.nodes_for(ranges))
    return merkle.hexes(merkle.range_hashes(ranges, nodes))


# --- what the API publishes -------------------------------------------------------------------


def get_head(poll: Poll) -> dict[str, Any]:
    """The latest signed tree head. Before the first batch the tree is empty: its head is
    signed as of the poll's opening (or creation), the same on every read."""
    head = latest_head(poll.id)
    if head is None:
        head = LedgerHead(
            poll_id=poll.id,
            tree_size=0,
            root=merkle.EMPTY_ROOT.hex(),
            participations=0,
            timestamp=int((poll.opened_at or poll.created_at).timestamp() * 1000),
        )
        head.signature = _sign(head)
    return {**_signed_fields(head), "signature": head.signature, "public_key": public_key()}


def get_consistency(poll: Poll, first: int, second: int) -> dict[str, Any]:
    """RFC 9162 PROOF(first, D[second]), for any two sizes the tree has had, 1 ≤ first ≤
    second ≤ its size now."""
    size = current_size(poll.id)
    errors: dict[str, list[str]] = {}
    if not 1 <= first <= size:
        errors["first"] = [_("Должно быть от 1 до %(size)s.", size=size)]
    if not first <= second <= size:
        errors["second"] = [_("Должно быть от first до %(size)s.", size=size)]
    if errors:
        raise Invalid(_("Таких размеров реестр не имел."), errors=errors)
    proof = _proof(poll.id, merkle.consistency_ranges(first, second))
    return {"first": first, "second": second, "proof": proof}


def get_leaves(poll: Poll, start: int, end: int) -> dict[str, Any]:
    """Leaves [start, end) in tree order, each its ballot exactly as hashed."""
    size = current_size(poll.id)
    errors: dict[str, list[str]] = {}
    if not 0 <= start <= size:
        errors["start"] = [_("Должно быть от 0 до %(size)s.", size=size)]
    if not start <= end <= size:
        errors["end"] = [_("Должно быть от start до %(size)s.", size=size)]
    elif end - start > MAX_LEAVES_PAGE:
        errors["end"] = [_("Не больше %(n)s листьев за запрос.", n=MAX_LEAVES_PAGE)]
    if errors:
        raise Invalid(_("Таких листьев в реестре нет."), errors=errors)
    rows = db.session.execute(
        select(LedgerLeaf.leaf_index, Ballot.content)
        .join(Ballot, Ballot.id == LedgerLeaf.ballot_id)
        .where(
            LedgerLeaf.poll_id == poll.id,
            LedgerLeaf.leaf_index >= start,
            LedgerLeaf.leaf_index < end,
        )
        .order_by(LedgerLeaf.leaf_index)
    )
    leaves = [{"index": index, "ballot": json.loads(content)} for index, content in rows]
    return {"start": start, "end": end, "leaves": leaves}


def get_receipt_status(poll: Poll, receipt: str) -> dict[str, Any]:
    """Where a receipt's ballot is: `sealed` until its batch is in the tree (for now, while
    the poll is open), then `recorded` with its inclusion proof in the latest tree; 404 for
    a receipt this poll never gave."""
    normalized = normalize_receipt(receipt)
    ballot = None
    if normalized is not None:
        ballot = db.session.scalar(
            select(Ballot).where(
                Ballot.poll_id == poll.id, Ballot.receipt_hash == receipt_hash(normalized)
            )
        )
    if ballot is None:
        raise NotFound(_("Квитанция не найдена в этом опросе."))
    index = db.session.scalar(
        select(LedgerLeaf.leaf_index).where(LedgerLeaf.ballot_id == ballot.id)
    )
    if index is None:
        return {"status": "sealed"}
    size = current_size(poll.id)
    return {
        "status": "recorded",
        "leaf_index": index,
        "tree_size": size,
        "proof": _proof(poll.id, merkle.inclusion_ranges(index, size)),
        "ballot": json.loads(ballot.content),
    }


def require_closed(poll: Poll) -> None:
    if poll.status is not PollStatus.CLOSED:
        raise Conflict(
            _("Бюллетени и квитанции публикуются после закрытия опроса."),
            extra={"reason": "not_closed"},
        )


HASHING = (
    "RFC 9162 Merkle tree: leaf = sha256(0x00 || canonical JSON of the ballot: sorted keys, "
    "no spaces, UTF-8); node = sha256(0x01 || left || right), split at the largest power of "
    "two below n; ballots in tree order; check with `python -m voting.verify ballots.json`"
)


def ballots_document(poll: Poll, batch: int = 5000) -> Iterator[str]:
    """`ballots.json` in pieces: the ledger's signed head, then every ballot exactly as
    hashed, in tree order. The pieces are read on a connection of their own, so the response
    can be streamed after the request's context is gone."""

    require_closed(poll)
    tree_head = get_head(poll)
    head = {
        "poll_id": poll.id,
        "ledger_root": tree_head["root"],
        "ledger_size": tree_head["tree_size"],
        "tree_head": tree_head,
        "hashing": HASHING,
    }
    engine = db.engine
    stmt = (
        select(Ballot.content)
        .join(LedgerLeaf, LedgerLeaf.ballot_id == Ballot.id)
        .where(LedgerLeaf.poll_id == poll.id, LedgerLeaf.leaf_index < tree_head["tree_size"])
        .order_by(LedgerLeaf.leaf_index)
    )

    def generate() -> Iterator[str]:
        yield json.dumps(head, ensure_ascii=False)[:-1] + ', "ballots": ['
        with engine.connect() as conn:
            rows = conn.execution_options(yield_per=batch).execute(stmt)
            for index, (content,) in enumerate(rows):
                yield ("," if index else "") + "\n" + content
        yield "\n]}\n"

    return generate()
