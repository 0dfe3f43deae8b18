"""The one place that calls `ml`: normalizing idea texts and finding similar ideas.

- `normalize()` / `normalize_many()` turn text into space-joined lemmas (lowercase, ё→е, no
  stop words); ideas store the result when they are written, and search queries go through
  the same function, so «очереди» finds «очередями».
- `similar_ideas()` answers from a per-process `ml.SimilarityIndex` per project, built lazily
  from the stored normalized texts. Before each query a cheap signature of the project's
  published ideas (their count and newest change) is compared with the one the index was
  built from: new ideas are added to the index, anything else (an idea hidden, merged,
  edited) rebuilds it. So the index is never stale, and typing in the form costs one small
  query plus the similarity lookup.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

import ml
from app.extensions import db
from ideas.models import Idea, IdeaStatus

#: Statuses whose ideas the similar-ideas box offers (so residents can support them instead).
SIMILAR_STATUSES = (IdeaStatus.PUBLISHED, IdeaStatus.SELECTED)


def _normalizer() -> Any:
    return ml.get_normalizer()  # shared per process, with its word-form cache


def idea_text(title: str, body: str) -> str:
    """The text of an idea as the index and search see it: its title, then its body."""
    return f"{title}\n{body}"


def normalize(text: str) -> str:
    return str(_normalizer().normalize(text))


def normalize_many(texts: Sequence[str]) -> list[str]:
    return [str(item) for item in _normalizer().normalize_many(list(texts))]


@dataclass
class _ProjectIndex:
    signature: tuple[int, datetime | None]
    ids: set[int]
    newest_change: datetime | None
    index: Any = field(repr=False)


_indexes: dict[tuple[str, int], _ProjectIndex] = {}
_lock = threading.Lock()


def _signature(project_id: int) -> tuple[int, datetime | None]:
    # Answered from the (project_id, status, updated_at) index alone: every new, edited or
    # re-statused idea changes the count or the newest change.
    count, newest_change = db.session.execute(
        select(func.count(), func.max(Idea.updated_at)).where(
            Idea.project_id == project_id, Idea.status.in_(SIMILAR_STATUSES)
        )
    ).one()
    return int(count or 0), newest_change


def _rows(project_id: int, *conditions: Any) -> list[tuple[int, str]]:
    stmt = select(Idea.id, Idea.normalized_text).where(
        Idea.project_id == project_id, Idea.status.in_(SIMILAR_STATUSES), *conditions
    )
    return [tuple(row) for row in db.session.execute(stmt.order_by(Idea.id))]  # type: ignore[misc]


def _build(project_id: int, signature: tuple[int, datetime | None]) -> _ProjectIndex:
    rows = _rows(project_id)
    index = ml.SimilarityIndex()
    if rows:
        index.fit([r[0] for r in rows], [r[1] for r in rows], normalized=True)
    return _ProjectIndex(signature, {r[0] for r in rows}, signature[1], index)


def _refresh(key: tuple[str, int], project_id: int) -> _ProjectIndex:
    signature = _signature(project_id)
    current = _indexes.get(key)
    if current is not None and current.signature == signature:
        return current
    if current is not None and current.ids and signature[0] > len(current.ids):
        # Only ideas newer than the index (by id) and nothing else changed: add them.
        newest_known = max(current.ids)
        fresh = _rows(project_id, Idea.id > newest_known)
        unchanged = current.newest_change is None or not db.session.scalar(
            select(func.count(Idea.id)).where(
                Idea.project_id == project_id,
                Idea.id <= newest_known,
                Idea.updated_at > current.newest_change,
            )
        )
        if unchanged and len(current.ids) + len(fresh) == signature[0]:
            for idea_id, normalized in fresh:
                current.index.add(idea_id, normalized, normalized=True)
                current.ids.add(idea_id)
            current.signature = signature
            current.newest_change = signature[1]
            return current
    rebuilt = _build(project_id, signature)
    _indexes[key] = rebuilt
    return rebuilt


def similar_ideas(project_id: int, text: str, limit: int = 5) -> list[tuple[int, float]]:
    """Ids of the project's published ideas most alike `text`, with scores in [0, 1]."""
    if not text.strip():
        return []
    key = (str(db.engine.url), project_id)
    with _lock:
        entry = _refresh(key, project_id)
        if not entry.ids:
            return []
        found = entry.index.query(text, limit)
    return [(int(idea_id), max(0.0, min(1.0, float(score)))) for idea_id, score in found]


def forget_all() -> None:
    """Drop every cached index (tests and benchmarks that rebuild databases use this)."""
    with _lock:
        _indexes.clear()
