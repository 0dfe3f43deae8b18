"""The automatic checks moderation runs on every idea and comment as it is written or edited."""

from __future__ import annotations

from sqlalchemy import delete

from app.extensions import db
from ideas import services as ideas
from ideas.models import Project
from moderation.findings import Finding, check_text
from moderation.models import StoredFinding

# Findings that hold an item back in post-moderation; a lone link only informs.
HOLDING_KINDS = frozenset({"profanity", "personal_data", "spam", "duplicate"})
DUPLICATE_SCORE = 0.75


def likely_duplicates(project: Project, text: str, limit: int = 3) -> list[Finding]:
    return [
        Finding("duplicate", "similar", excerpt=idea.title[:120], ref_id=idea.id, score=score)
        for idea, score in ideas.find_similar(project, text, limit)
        if score >= DUPLICATE_SCORE
    ]


def screen_item(target_type: str, target_id: int, project: Project, text: str) -> bool:
    """Record what the checks find in an item's current text, in place of what they found in
    an earlier version; True if it should wait for a moderator."""
    db.session.execute(
        delete(StoredFinding).where(
            StoredFinding.target_type == target_type, StoredFinding.target_id == target_id
        )
    )
    findings = check_text(text)
    if target_type == "idea":
        findings += [f for f in likely_duplicates(project, text) if f.ref_id != target_id]
    for finding in findings:
        db.session.add(
            StoredFinding(
                target_type=target_type,
                target_id=target_id,
                kind=finding.kind,
                detail=finding.detail,
                excerpt=finding.excerpt[:200],
                ref_id=finding.ref_id,
                score=finding.score,
            )
        )
    return any(finding.kind in HOLDING_KINDS for finding in findings)
