"""Publishing a project's results, the public figures, and the open-data exports.

Exports carry no personal data: no e-mail, phone or name of anyone; residents appear
only as counts (by okrug).
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, union

from app.auth.models import User
from app.districts import get_district, list_okrugs
from app.errors import Conflict, NotFound
from app.extensions import db
from app.spreadsheets import csv_writer
from ideas import services as ideas
from ideas.clustering.models import ClusteringRun, RunStatus
from ideas.models import Comment, CommentStatus, Idea, IdeaStatus, Project, ProjectStage, Support
from ideas.review.models import Implementation, Publication

PUBLIC_IDEA_STATUSES = (IdeaStatus.PUBLISHED, IdeaStatus.SELECTED, IdeaStatus.MERGED)


def get_publication(project: Project) -> Publication | None:
    return db.session.get(Publication, project.id)


def require_published(project: Project) -> Publication:
    publication = get_publication(project)
    if publication is None:
        raise NotFound(_("Итоги проекта ещё не опубликованы."))
    return publication


def publish(staff: User, project: Project) -> Publication:
    """Open the results page and exports; once only."""
    if get_publication(project) is not None:
        raise Conflict(_("Итоги уже опубликованы."))
    if project.stage in (ProjectStage.DRAFT, ProjectStage.IDEAS):
        raise Conflict(
            _("Итоги публикуются после сбора идей."), extra={"stage": project.stage.value}
        )
    publication = Publication(
        project_id=project.id, published_by_id=staff.id, summary=participation(project).as_dict()
    )
    db.session.add(publication)
    if project.stage in (ProjectStage.RATING, ProjectStage.EXPERT_REVIEW):
        project.stage = ProjectStage.RESULTS
    db.session.flush()
    return publication


@dataclass
class Participation:
    participants: int
    ideas: int
    comments: int
    supports: int
    by_okrug: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "participants": self.participants,
            "ideas": self.ideas,
            "comments": self.comments,
            "supports": self.supports,
            "by_okrug": self.by_okrug,
        }


def participation(project: Project) -> Participation:
    """Who took part, counted once per person, and how much, by okrug of residence."""
    idea_ids = select(Idea.id).where(Idea.project_id == project.id)
    authors = select(Idea.author_id.label("user_id")).where(
        Idea.project_id == project.id, Idea.author_id.is_not(None)
    )
    commenters = select(Comment.author_id.label("user_id")).where(Comment.idea_id.in_(idea_ids))
    supporters = select(Support.user_id.label("user_id")).where(Support.idea_id.in_(idea_ids))
    people = union(authors, commenters, supporters).subquery()
    districts = db.session.execute(
        select(User.district_code, func.count())
        .where(User.id.in_(select(people.c.user_id)))
        .group_by(User.district_code)
    ).all()
    okrug_of = {o.code: o.abbrev for o in list_okrugs()}
    by_okrug: dict[str, dict[str, int]] = {
        abbrev: {"participants": 0, "ideas": 0} for abbrev in okrug_of.values()
    }
    for code, count in districts:
        district = get_district(code)
        if district is not None:
            by_okrug[okrug_of[district.okrug_code]]["participants"] += int(count)
    idea_districts = db.session.execute(
        select(User.district_code, func.count())
        .join(Idea, Idea.author_id == User.id)
        .where(Idea.project_id == project.id, Idea.status.in_(PUBLIC_IDEA_STATUSES))
        .group_by(User.district_code)
    ).all()
    for code, count in idea_districts:
        district = get_district(code)
        if district is not None:
            by_okrug[okrug_of[district.okrug_code]]["ideas"] += int(count)
    count = lambda stmt: db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0  # noqa: E731
    return Participation(
        participants=count(select(people.c.user_id)),
        ideas=count(
            select(Idea.id).where(
                Idea.project_id == project.id, Idea.status.in_(PUBLIC_IDEA_STATUSES)
            )
        ),
        comments=count(
            select(Comment.id).where(
                Comment.idea_id.in_(idea_ids), Comment.status == CommentStatus.PUBLISHED
            )
        ),
        supports=count(select(Support.id).where(Support.idea_id.in_(idea_ids))),
        by_okrug=by_okrug,
    )


def topics(project: Project) -> list[dict[str, Any]]:
    run = db.session.scalars(
        select(ClusteringRun)
        .where(ClusteringRun.project_id == project.id, ClusteringRun.status == RunStatus.DONE)
        .order_by(ClusteringRun.finished_at.desc(), ClusteringRun.id.desc())
        .limit(1)
    ).first()
    if run is None:
        return []
    return [
        {"id": c.id, "label": c.display_label, "size": c.size, "support": c.support}
        for c in run.clusters
    ]


def selected_ideas(project: Project) -> list[dict[str, Any]]:
    """Selected ideas with implementation and the ideas that were merged into them."""
    rows = []
    for idea in db.session.scalars(
        select(Idea)
        .where(Idea.project_id == project.id, Idea.status == IdeaStatus.SELECTED)
        .order_by(Idea.support_count.desc(), Idea.id)
    ):
        record = db.session.get(Implementation, idea.id)
        family = ideas.merged_into_family(idea)[1:]
        rows.append(
            {
                "id": idea.id,
                "title": idea.title,
                "supports": idea.support_count,
                "implementation": {
                    "status": record.status.value if record else "planned",
                    "progress": record.progress if record else 0,
                    "note": record.note if record else None,
                    "history": [
                        {
                            "status": u.status.value,
                            "progress": u.progress,
                            "note": u.note,
                            "at": u.created_at.isoformat(),
                        }
                        for u in (record.history if record else [])
                    ],
                },
                "merged_ideas": [{"id": m.id, "title": m.title} for m in family],
            }
        )
    return rows


def results(project: Project) -> dict[str, Any]:
    publication = require_published(project)
    return {
        "project_id": project.id,
        "title": project.title,
        "published_at": publication.published_at.isoformat(),
        "participation": participation(project).as_dict(),
        "topics": topics(project),
        "selected": selected_ideas(project),
    }


def export(project: Project) -> dict[str, list[dict[str, Any]]]:
    """Open data: ideas, supports by okrug, topics, selection and implementation; no names."""
    require_published(project)
    okrug_of = {o.code: o.abbrev for o in list_okrugs()}
    idea_rows = []
    for idea, district_code in db.session.execute(
        select(Idea, User.district_code)
        .outerjoin(User, User.id == Idea.author_id)
        .where(Idea.project_id == project.id, Idea.status.in_(PUBLIC_IDEA_STATUSES))
        .order_by(Idea.id)
    ):
        district = get_district(district_code)
        idea_rows.append(
            {
                "id": idea.id,
                "title": idea.title,
                "body": idea.body,
                "section": idea.section.title,
                "status": idea.status.value,
                "merged_into": idea.merged_into_id,
                "supports": idea.support_count,
                "comments": idea.comment_count,
                "author_okrug": okrug_of.get(district.okrug_code) if district else None,
                "published_on": idea.published_at.date().isoformat() if idea.published_at else None,
            }
        )
    support_rows: Counter[tuple[int, str]] = Counter()
    for idea_id, district_code in db.session.execute(
        select(Support.idea_id, User.district_code)
        .join(User, User.id == Support.user_id)
        .join(Idea, Idea.id == Support.idea_id)
        .where(Idea.project_id == project.id)
    ):
        district = get_district(district_code)
        support_rows[(idea_id, okrug_of.get(district.okrug_code, "") if district else "")] += 1
    selection = selected_ideas(project)
    return {
        "ideas": idea_rows,
        "supports": [
            {"idea_id": idea_id, "okrug": okrug, "supports": n}
            for (idea_id, okrug), n in sorted(support_rows.items())
        ],
        "topics": topics(project),
        "selection": [
            {
                "idea_id": s["id"],
                "implementation_status": s["implementation"]["status"],
                "progress": s["implementation"]["progress"],
                "merged_idea_ids": " ".join(str(m["id"]) for m in s["merged_ideas"]),
            }
            for s in selection
        ],
    }


def export_csv(tables: dict[str, list[dict[str, Any]]]) -> str:
    """All tables in one CSV, each introduced by a `# table` line, for spreadsheets."""
    out = io.StringIO()
    writer = csv_writer(out)
    for name, rows in tables.items():
        out.write(f"# {name}\n")
        if rows:
            columns = list(rows[0])
            writer.writerow(columns)
            writer.writerows([row[column] for column in columns] for row in rows)
        out.write("\n")
    return out.getvalue()


def export_json(tables: dict[str, list[dict[str, Any]]]) -> str:
    return json.dumps(tables, ensure_ascii=False, indent=1)
