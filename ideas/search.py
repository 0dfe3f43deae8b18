"""Full-text search over ideas' normalized text, in whichever database we run on.

Both the stored text and the query are lemmatized by the same normalizer (`text_index`),
so the database only has to match whole tokens: «очередями» and «очереди» are both
«очередь» by then, «ёлка» is «елка». The index objects come from the 0002 migration.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Select, false, literal_column, select, table, text

from app.extensions import db
from ideas.models import Idea

_TOKEN = re.compile(r"[\w-]+")


def _fts5_query(normalized: str) -> str:
    # Each lemma as a quoted FTS5 string (quotes doubled), all of them required.
    tokens = [t for t in _TOKEN.findall(normalized) if t.strip("-_")]
    return " ".join('"' + t.replace('"', '""') + '"' for t in tokens)


def apply(stmt: Select[Any], raw_query: str, normalized: str) -> Select[Any]:
    """Keep the ideas matching every word of the query (by lemma)."""
    dialect = db.engine.dialect.name
    if not normalized.strip():
        # Only stop words or symbols: nothing to look up by lemma, match the title literally.
        pattern = (
            "%"
            + raw_query.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            + "%"
        )
        return stmt.where(Idea.title.ilike(pattern, escape="\\"))
    if dialect == "postgresql":
        config = literal_column("'simple'::regconfig")
        vector = db.func.to_tsvector(config, Idea.normalized_text)
        return stmt.where(vector.op("@@")(db.func.plainto_tsquery(config, normalized)))
    if dialect == "sqlite":
        match = _fts5_query(normalized)
        if not match:
            return stmt.where(false())
        ids = (
            select(literal_column("rowid"))
            .select_from(table("ideas_fts"))
            .where(text("ideas_fts MATCH :fts_query").bindparams(fts_query=match))
        )
        return stmt.where(Idea.id.in_(ids))
    # Other databases: a plain substring match on the normalized text, word by word.
    for token in normalized.split():
        stmt = stmt.where(Idea.normalized_text.contains(token, autoescape=True))
    return stmt
