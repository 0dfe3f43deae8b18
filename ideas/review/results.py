"""Publishing a project's results, the public figures, and the open-data exports.

Exports carry no personal data: no e-mail, phone or name of anyone; residents appear
only as counts (by okrug). Figures and exports cover only what the public may see: the
listed ideas (published or selected, `ideas.services.LISTED_STATUSES`) and what was done
on them. A pending, rejected, hidden, withdrawn or merged-away idea, its supports and its
comments are not published, not even inside a total.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, select, union

from app.auth.models import User
from app.districts import get_district, list_okrugs
from app.errors import Conflict, NotFound
from app.extensions import db
from app.spreadsheets import csv_writer
from ideas import services as ideas
from ideas.clustering.models import ClusteringRun, ClusterMember, RunStatus
from ideas.models import Comment, CommentStatus, Idea, IdeaStatus, Project, ProjectStage, Support
from ideas.review.models import Implementation, Publication


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


def _listed_idea_ids(project: Project) -> Select[tuple[int]]:
    return select(Idea.id).where(
        Idea.project_id == project.id, Idea.status.in_(ideas.LISTED_STATUSES)
    )


def participation(project: Project) -> Participation:
    """Who took part in the listed ideas (wrote one, supported one, or has a published
    comment on one), counted once per person, and how much, by okrug of residence."""
    idea_ids = _listed_idea_ids(project)
    authors = select(Idea.author_id.label("user_id")).where(
        Idea.id.in_(idea_ids), Idea.author_id.is_not(None)
    )
    published_comments = (Comment.idea_id.in_(idea_ids), Comment.status == CommentStatus.PUBLISHED)
    commenters = select(Comment.author_id.label("user_id")).where(*published_comments)
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
        .where(Idea.id.in_(idea_ids))
        .group_by(User.district_code)
    ).all()
    for code, count in idea_districts:
        district = get_district(code)
        if district is not None:
            by_okrug[okrug_of[district.okrug_code]]["ideas"] += int(count)
    count = lambda stmt: db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0  # noqa: E731
    return Participation(
        participants=count(select(people.c.user_id)),
        ideas=count(idea_ids),
        comments=count(select(Comment.id).where(*published_comments)),
        supports=count(select(Support.id).where(Support.idea_id.in_(idea_ids))),
        by_okrug=by_okrug,
    )


def topics(project: Project) -> list[dict[str, Any]]:
    """The latest clustering's topics, sized by the listed ideas in them now: the run saw
    ideas that may since have been hidden or merged away, and a topic left with none of
    the listed ones is not shown."""
    run = db.session.scalars(
        select(ClusteringRun)
        .where(ClusteringRun.project_id == project.id, ClusteringRun.status == RunStatus.DONE)
        .order_by(ClusteringRun.finished_at.desc(), ClusteringRun.id.desc())
        .limit(1)
    ).first()
    if run is None:
        return []
    listed = {
        cluster_id: (int(size), int(support))
        for cluster_id, size, support in db.session.execute(
            select(ClusterMember.cluster_id, func.count(), func.sum(Idea.support_count))
            .join(Idea, Idea.id == ClusterMember.idea_id)
            .where(
                ClusterMember.run_id == run.id,
                ClusterMember.cluster_id.is_not(None),
                Idea.status.in_(ideas.LISTED_STATUSES),
            )
            .group_by(ClusterMember.cluster_id)
        )
    }
    return [
        {"id": c.id, "label": c.display_label, "size": listed[c.id][0], "support": listed[c.id][1]}
        for c in run.clusters
        if c.id in listed
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
        .where(Idea.id.in_(_listed_idea_ids(project)))
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
        .where(Support.idea_id.in_(_listed_idea_ids(project)))
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
