"""Generate the demo project: residents across the okrugs, thousands of ideas, supports,
threaded comments, all inserted in bulk (SQLAlchemy Core, batches) so that `flask demo`
takes seconds. The same generator fills the benchmark databases with 100,000 ideas.

Texts come from `ideas.demo.phrases`: core ideas said in several ways, with openers,
reasons, stories, places, typos and emoji, so duplicates and clusters are realistic.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, literal, select, union

from app.auth.models import User
from app.auth.passwords import hash_password
from app.db import utcnow
from app.demo import DEMO_PASSWORD
from app.districts import list_okrugs
from app.extensions import db
from app.points.models import PointsEntry
from ideas import text_index
from ideas.demo import phrases
from ideas.models import (
    Comment,
    CommentStatus,
    Idea,
    IdeaStatus,
    IdeaStatusChange,
    ModerationMode,
    Participant,
    Project,
    ProjectStage,
    Section,
    Support,
)
from ideas.services import PUBLISH_POINTS

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
BATCH = 2000


@dataclass
class DemoSize:
    ideas: int = 5500
    residents: int = 6000
    supports_per_idea: float = 7.0
    comments_per_idea: float = 1.3
    seed: int = 2014
    email_prefix: str = "zhitel"
    email_domain: str = "demo.mos"


@dataclass
class _Draft:
    section: int
    title: str
    body: str
    author: int
    status: IdeaStatus
    created_at: datetime
    supporters: list[int] = field(default_factory=list)
    comments: list[tuple[int, str]] = field(default_factory=list)
    replies: int = 0  # how many of the comments get a reply


def fill_demo(progress: Progress) -> None:
    """The `flask demo` step: the «Мой офис госуслуг» project, unless it is there already."""
    if db.session.scalar(select(Project.id).where(Project.title == phrases.PROJECT_TITLE)):
        progress(1.0, "already there")
        return
    build_demo_project(DemoSize(), progress)


def build_demo_project(
    size: DemoSize, progress: Progress, *, title: str = phrases.PROJECT_TITLE
) -> int:
    """Create the project with residents, ideas, supports and comments; returns its id."""
    rng = random.Random(size.seed)  # noqa: S311 (demo texts, not secrets)
    progress(0.0, "residents")
    residents = _ensure_residents(size, rng)
    progress(0.1, "project")
    now = utcnow()
    staff = db.session.scalar(select(User).where(User.email == "staff@demo.mos"))
    project = Project(
        title=title,
        description=phrases.PROJECT_DESCRIPTION,
        stage=ProjectStage.IDEAS,
        moderation=ModerationMode.POST,
        starts_at=now - timedelta(days=30),
        ends_at=now + timedelta(days=12),
        created_by_id=staff.id if staff else None,
        sections=[Section(title=t, position=i) for i, t in enumerate(phrases.SECTIONS)],
    )
    db.session.add(project)
    db.session.flush()
    progress(0.12, "texts")
    drafts = _draft_ideas(size, rng, project, residents, now)
    progress(0.2, "normalizing")
    normalized: list[str] = []
    for start in range(0, len(drafts), 1000):
        chunk = drafts[start : start + 1000]
        normalized += text_index.normalize_many(
            [text_index.idea_text(d.title, d.body) for d in chunk]
        )
        progress(0.2 + 0.4 * (start + len(chunk)) / len(drafts), "normalizing")
    ids = _insert_ideas(project.id, drafts, normalized, progress)
    _insert_history_and_points(drafts, ids)
    progress(0.8, "supports")
    _insert_supports(drafts, ids)
    progress(0.9, "comments")
    _insert_comments(project.id, drafts, ids, residents, now)
    _insert_participants(project.id, now)
    db.session.flush()
    progress(1.0, f"{len(drafts)} ideas")
    return project.id


def _batches(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _ensure_residents(size: DemoSize, rng: random.Random) -> list[int]:
    pattern = f"{size.email_prefix}%@{size.email_domain}"
    existing = set(db.session.scalars(select(User.email).where(User.email.like(pattern))))
    districts = [d.code for okrug in list_okrugs() for d in okrug.districts]
    password_hash = hash_password(DEMO_PASSWORD)  # one hash for all: Argon2 is slow on purpose
    now = utcnow()
    rows = []
    for n in range(size.residents):
        email = f"{size.email_prefix}{n:06d}@{size.email_domain}"
        if email in existing:
            continue
        name = f"{rng.choice(phrases.FIRST_NAMES)} {rng.choice(phrases.SURNAME_INITIALS)}."
        rows.append(
            {
                "email": email,
                "password_hash": password_hash,
                "display_name": name,
                "district_code": rng.choice(districts),
                "created_at": now - timedelta(days=rng.randint(31, 400)),
                "verified_at": now - timedelta(days=30),
                "session_version": 1,
            }
        )
    for batch in _batches(rows):
        db.session.execute(insert(User), batch)
    return list(
        db.session.scalars(select(User.id).where(User.email.like(pattern)).order_by(User.id))
    )


_SWAPS = {"е": "и", "и": "е", "а": "о", "о": "а", "т": "д", "с": "з"}


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.3:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind < 0.55:
        return word[:i] + word[i + 1 :]
    if kind < 0.7:
        return word[:i] + word[i] + word[i:]
    swapped = _SWAPS.get(word[i])
    return word[:i] + swapped + word[i + 1 :] if swapped else word


def _with_typos(text: str, rng: random.Random, count: int) -> str:
    words = text.split(" ")
    for _n in range(count):
        i = rng.randrange(len(words))
        words[i] = _typo(words[i], rng)
    return " ".join(words)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", ")")) else text + "."


def _compose_body(core: str, rng: random.Random, district: str) -> str:
    starts_with_verb = core.split(" ", 1)[0].lower().endswith(("ть", "ться"))
    opener = rng.choice(phrases.VERB_OPENERS if starts_with_verb else phrases.OPENERS)
    body = core[0].lower() + core[1:] if opener and not opener.endswith((".", "!")) else core
    parts = [f"{opener} {body}".strip()]
    if rng.random() < 0.45:
        parts[-1] = parts[-1].rstrip(".") + ", " + rng.choice(phrases.REASONS)
    parts[-1] = _sentence(parts[-1])
    if rng.random() < 0.3:
        place = rng.choice(phrases.PLACES).format(district=district)
        parts.append(_sentence(f"Особенно это нужно {place}"))
    if rng.random() < 0.25:
        parts.insert(0 if rng.random() < 0.5 else len(parts), rng.choice(phrases.STORIES))
    closer = rng.choice(phrases.CLOSERS)
    if closer:
        parts.append(closer)
    text = " ".join(parts)
    if rng.random() < 0.05:
        text = text.rstrip(".") + rng.choice(["!!!", ")))", "..."])
    if rng.random() < 0.08:
        text = text.lower().replace(".", "").replace(",", "")
    if rng.random() < 0.04:
        text += " " + rng.choice(phrases.EMOJI)
    return text


def _draft_ideas(
    size: DemoSize, rng: random.Random, project: Project, residents: list[int], now: datetime
) -> list[_Draft]:
    cores = [
        (section.id, titles, bodies, rng.paretovariate(1.2))
        for section, items in zip(project.sections, phrases.SECTIONS.values(), strict=True)
        for titles, bodies in items
    ]
    weights = [c[3] for c in cores]
    districts = [d.name for okrug in list_okrugs() for d in okrug.districts]
    # A few residents write a lot, most write one idea or none, as on real platforms.
    authors = rng.choices(
        residents, weights=[rng.paretovariate(1.5) for _ in residents], k=size.ideas
    )
    span = timedelta(days=30).total_seconds()
    drafts = []
    for n in range(size.ideas):
        section_id, titles, bodies, popularity = rng.choices(cores, weights=weights)[0]
        title = rng.choice(titles)
        body = _compose_body(rng.choice(bodies), rng, rng.choice(districts))
        if rng.random() < 0.15:
            title = _with_typos(title, rng, 1)
        if rng.random() < 0.2:
            body = _with_typos(body, rng, rng.randint(1, 3))
        if rng.random() < 0.02:
            title = title.upper()
        roll = rng.random()
        status = (
            IdeaStatus.PENDING
            if roll < 0.03
            else IdeaStatus.REJECTED
            if roll < 0.05
            else IdeaStatus.HIDDEN
            if roll < 0.06
            else IdeaStatus.PUBLISHED
        )
        draft = _Draft(
            section=section_id,
            title=title[:150],
            body=body[:5000],
            author=authors[n],
            status=status,
            created_at=now - timedelta(seconds=span * (1 - (n + rng.random()) / size.ideas)),
        )
        if status is IdeaStatus.PUBLISHED:
            wanted = int(rng.expovariate(1 / size.supports_per_idea) * min(popularity, 4) / 2)
            draft.supporters = rng.sample(residents, min(wanted, len(residents)))
            for _c in range(int(rng.expovariate(1 / size.comments_per_idea))):
                draft.comments.append((rng.choice(residents), rng.choice(phrases.COMMENTS)))
            draft.replies = sum(1 for _c in draft.comments if rng.random() < 0.33)
        drafts.append(draft)
    return drafts


def _insert_ideas(
    project_id: int, drafts: list[_Draft], normalized: list[str], progress: Progress
) -> list[int]:
    rows = [
        {
            "project_id": project_id,
            "section_id": d.section,
            "author_id": d.author,
            "title": d.title,
            "body": d.body,
            "normalized_text": norm,
            "status": d.status,
            "support_count": len(d.supporters),
            "comment_count": len(d.comments) + d.replies,
            "source": "demo",
            "created_at": d.created_at,
            "updated_at": d.created_at,
            "published_at": None if d.status is IdeaStatus.PENDING else d.created_at,
        }
        for d, norm in zip(drafts, normalized, strict=True)
    ]
    for done, batch in enumerate(_batches(rows)):
        db.session.execute(insert(Idea), batch)
        progress(0.6 + 0.15 * min(len(rows), (done + 1) * BATCH) / len(rows), "ideas")
    return list(
        db.session.scalars(select(Idea.id).where(Idea.project_id == project_id).order_by(Idea.id))
    )


def _insert_history_and_points(drafts: list[_Draft], ids: list[int]) -> None:
    history = []
    points = []
    for d, idea_id in zip(drafts, ids, strict=True):
        first = IdeaStatus.PENDING if d.status is IdeaStatus.PENDING else IdeaStatus.PUBLISHED
        history.append(
            {
                "idea_id": idea_id,
                "from_status": None,
                "to_status": first,
                "actor_id": d.author,
                "created_at": d.created_at,
            }
        )
        if d.status in (IdeaStatus.REJECTED, IdeaStatus.HIDDEN):
            history.append(
                {
                    "idea_id": idea_id,
                    "from_status": IdeaStatus.PUBLISHED,
                    "to_status": d.status,
                    "actor_id": None,
                    "note": "Нарушает правила проекта.",
                    "created_at": d.created_at + timedelta(hours=3),
                }
            )
        if first is IdeaStatus.PUBLISHED:
            points.append(
                {
                    "user_id": d.author,
                    "amount": PUBLISH_POINTS,
                    "reason": "idea_published",
                    "ref_type": "idea",
                    "ref_id": idea_id,
                    "created_at": d.created_at,
                }
            )
    for batch in _batches(history):
        db.session.execute(insert(IdeaStatusChange), batch)
    for batch in _batches(points):
        db.session.execute(insert(PointsEntry), batch)


def _insert_supports(drafts: list[_Draft], ids: list[int]) -> None:
    rows = [
        {"idea_id": idea_id, "user_id": user_id, "created_at": d.created_at + timedelta(hours=1)}
        for d, idea_id in zip(drafts, ids, strict=True)
        for user_id in d.supporters
    ]
    for batch in _batches(rows):
        db.session.execute(insert(Support), batch)


def _insert_comments(
    project_id: int, drafts: list[_Draft], ids: list[int], residents: list[int], now: datetime
) -> None:
    rng = random.Random(7)  # noqa: S311 (demo texts, not secrets)
    rows = []
    for d, idea_id in zip(drafts, ids, strict=True):
        for offset, (author, body) in enumerate(d.comments):
            at = min(now, d.created_at + timedelta(hours=2 + offset))
            rows.append(
                {
                    "idea_id": idea_id,
                    "author_id": author,
                    "body": body,
                    "parent_id": None,
                    "status": CommentStatus.PUBLISHED,
                    "created_at": at,
                    "updated_at": at,
                }
            )
    for batch in _batches(rows):
        db.session.execute(insert(Comment), batch)
    # Replies to the first top-level comments of ideas that planned some.
    replies_left = {idea_id: d.replies for d, idea_id in zip(drafts, ids, strict=True)}
    top = db.session.execute(
        select(Comment.id, Comment.idea_id, Comment.created_at)
        .join(Idea, Idea.id == Comment.idea_id)
        .where(Idea.project_id == project_id, Comment.parent_id.is_(None))
        .order_by(Comment.id)
    ).all()
    replies = []
    for row in top:
        if replies_left.get(row.idea_id, 0) <= 0:
            continue
        replies_left[row.idea_id] -= 1
        at = min(now, row.created_at + timedelta(minutes=30))
        replies.append(
            {
                "idea_id": row.idea_id,
                "author_id": rng.choice(residents),
                "body": rng.choice(phrases.REPLIES),
                "parent_id": row.id,
                "status": CommentStatus.PUBLISHED,
                "created_at": at,
                "updated_at": at,
            }
        )
    for batch in _batches(replies):
        db.session.execute(insert(Comment), batch)


def _insert_participants(project_id: int, now: datetime) -> None:
    """Everyone who wrote, supported or commented, once (see `Participant`)."""
    of_project = select(Idea.id).where(Idea.project_id == project_id)
    people = union(
        select(Idea.author_id.label("user_id")).where(
            Idea.project_id == project_id, Idea.author_id.is_not(None)
        ),
        select(Support.user_id).where(Support.idea_id.in_(of_project)),
        select(Comment.author_id).where(Comment.idea_id.in_(of_project)),
    ).subquery()
    db.session.execute(
        insert(Participant).from_select(
            ["project_id", "user_id", "created_at"],
            select(
                literal(project_id),
                people.c.user_id,
                literal(now, type_=Participant.created_at.type),
            ),
        )
    )
