"""Projects and ideas: the verbs other packages and the views call.

Services take explicit arguments, flush and never commit; they raise domain errors. What a
resident may do depends on the project's stage (`STAGE_ALLOWS`); staff run projects,
moderators change ideas' statuses (moderation calls `change_idea_status` and `merge_idea`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import Role, User
from app.db import MAX_ID, utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.notifications.services import notify
from app.numbers import parse_int
from app.points.services import award_points
from ideas import screening, search, text_index
from ideas.models import (
    Comment,
    CommentStatus,
    Flag,
    FlagTarget,
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
from ideas.validation import (
    COMMENT_MAX,
    COMMENT_MAX_DEPTH,
    COMMENT_MIN,
    DESCRIPTION_MAX,
    MAX_SECTIONS,
    PROJECT_TITLE_MAX,
    PROJECT_TITLE_MIN,
    REASON_MAX,
    REASON_MIN,
    SECTION_TITLE_MAX,
    SECTION_TITLE_MIN,
    check_prose,
    clean_field,
    clean_idea,
)

log = logging.getLogger(__name__)

PUBLISH_POINTS = 10
POINTS_LABELS = {"idea_published": _l("идея опубликована")}

#: What residents may do in each stage. Reading is always allowed (except drafts: staff only).
STAGE_ALLOWS: dict[str, frozenset[ProjectStage]] = {
    "submit": frozenset({ProjectStage.IDEAS}),
    "support": frozenset({ProjectStage.IDEAS, ProjectStage.RATING}),
    "comment": frozenset({ProjectStage.IDEAS, ProjectStage.RATING}),
}
STAGE_ORDER = list(ProjectStage)
#: Ideas everyone may see; the others only their author and moderators.
PUBLIC_STATUSES = frozenset({IdeaStatus.PUBLISHED, IdeaStatus.SELECTED, IdeaStatus.MERGED})
#: What an idea list shows when no status is asked for.
LISTED_STATUSES = (IdeaStatus.PUBLISHED, IdeaStatus.SELECTED)
SORTS = ("new", "top", "discussed")


def _valid_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


class WrongStage(Conflict):
    code = "wrong_stage"


class AlreadySupported(Conflict):
    code = "already_supported"


class AlreadyFlagged(Conflict):
    code = "already_flagged"


class WrongStatus(Conflict):
    code = "wrong_status"


# --- who may do what -----------------------------------------------------------------------


def is_staff(user: User | None) -> bool:
    return user is not None and user.has_role(Role.STAFF)


def is_moderator(user: User | None) -> bool:
    return user is not None and user.has_role(Role.MODERATOR, Role.STAFF)


def stage_allows(project: Project, action: str) -> bool:
    return project.stage in STAGE_ALLOWS[action]


def require_stage(project: Project, action: str) -> None:
    if not stage_allows(project, action):
        messages = {
            "submit": _("Идеи принимаются только на этапе «Сбор идей»."),
            "support": _("Поддерживать идеи можно на этапах сбора идей и рейтинга."),
            "comment": _("Обсуждение открыто на этапах сбора идей и рейтинга."),
        }
        raise WrongStage(messages[action], extra={"stage": project.stage.value})


# --- projects ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectCounts:
    participants: int = 0
    ideas: int = 0
    comments: int = 0
    supports: int = 0


def _clean_sections(titles: Iterable[object]) -> list[str]:
    cleaned: list[str] = []
    problems: list[str] = []
    for raw in titles:
        text, found = check_prose(
            raw,
            min_length=SECTION_TITLE_MIN,
            max_length=SECTION_TITLE_MAX,
            min_letters=2,
            multiline=False,
        )
        if found:
            problems.append(f"«{str(raw)[:40]}»: {' '.join(found)}")
        elif text.casefold() in {t.casefold() for t in cleaned}:
            problems.append(_("Раздел «%(title)s» указан дважды.", title=text))
        else:
            cleaned.append(text)
    if not cleaned and not problems:
        problems.append(_("Нужен хотя бы один раздел."))
    if len(cleaned) > MAX_SECTIONS:
        problems.append(_("Не больше %(n)s разделов.", n=MAX_SECTIONS))
    if problems:
        raise Invalid(_("Проверьте разделы проекта."), errors={"sections": problems})
    return cleaned


def _check_schedule(starts_at: datetime | None, ends_at: datetime | None) -> None:
    if starts_at and ends_at and ends_at <= starts_at:
        raise Invalid(
            _("Проверьте даты."), errors={"ends_at": [_("Окончание должно быть позже начала.")]}
        )


def create_project(
    actor: User,
    *,
    title: str,
    description: str = "",
    sections: Sequence[str],
    stage: ProjectStage = ProjectStage.DRAFT,
    moderation: ModerationMode = ModerationMode.POST,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> Project:
    """A new project with its sections (topics), in the given stage."""
    title = clean_field(
        "title", title, min_length=PROJECT_TITLE_MIN, max_length=PROJECT_TITLE_MAX, min_letters=3
    )
    description = _clean_description(description)
    titles = _clean_sections(sections)
    _check_schedule(starts_at, ends_at)
    project = Project(
        title=title,
        description=description,
        stage=ProjectStage(stage),
        moderation=ModerationMode(moderation),
        starts_at=starts_at,
        ends_at=ends_at,
        created_by_id=actor.id,
        sections=[Section(title=t, position=i) for i, t in enumerate(titles)],
    )
    db.session.add(project)
    db.session.flush()
    return project


def _clean_description(description: object) -> str:
    if description is None or (isinstance(description, str) and not description.strip()):
        return ""
    return clean_field(
        "description", description, min_length=1, max_length=DESCRIPTION_MAX, multiline=True
    )


_UNSET: Any = object()


def update_project(
    project: Project,
    actor: User,
    *,
    title: str = _UNSET,
    description: str = _UNSET,
    sections: Sequence[str] = _UNSET,
    stage: ProjectStage = _UNSET,
    moderation: ModerationMode = _UNSET,
    starts_at: datetime | None = _UNSET,
    ends_at: datetime | None = _UNSET,
) -> Project:
    """Change what is given. Stages only move forward; sections in use cannot be removed."""
    if title is not _UNSET:
        project.title = clean_field(
            "title",
            title,
            min_length=PROJECT_TITLE_MIN,
            max_length=PROJECT_TITLE_MAX,
            min_letters=3,
        )
    if description is not _UNSET:
        project.description = _clean_description(description)
    if sections is not _UNSET:
        _replace_sections(project, _clean_sections(sections))
    if stage is not _UNSET and ProjectStage(stage) != project.stage:
        stage = ProjectStage(stage)
        if STAGE_ORDER.index(stage) < STAGE_ORDER.index(project.stage):
            raise WrongStage(
                _("Этап проекта может только двигаться вперёд."),
                extra={"stage": project.stage.value},
            )
        project.stage = stage
    if moderation is not _UNSET:
        project.moderation = ModerationMode(moderation)
    new_start = project.starts_at if starts_at is _UNSET else starts_at
    new_end = project.ends_at if ends_at is _UNSET else ends_at
    _check_schedule(new_start, new_end)
    project.starts_at, project.ends_at = new_start, new_end
    project.updated_at = utcnow()
    db.session.flush()
    return project


def _replace_sections(project: Project, titles: list[str]) -> None:
    by_title = {s.title: s for s in project.sections}
    keep = [by_title[t] for t in titles if t in by_title]
    removed = [s for s in project.sections if s.title not in titles]
    if removed:
        used = db.session.scalars(
            select(Section.title)
            .join(Idea, Idea.section_id == Section.id)
            .where(Section.id.in_([s.id for s in removed]))
            .distinct()
        ).all()
        if used:
            raise Invalid(
                _("Проверьте разделы проекта."),
                errors={
                    "sections": [
                        _("В разделе «%(title)s» уже есть идеи: его нельзя убрать.", title=t)
                        for t in used
                    ]
                },
            )
    sections = []
    for position, title in enumerate(titles):
        section = by_title.get(title) or Section(title=title)
        section.position = position
        sections.append(section)
    del keep
    project.sections = sections


def get_project(project_id: int, viewer: User | None) -> Project:
    """A project the viewer may see (drafts only for staff), or NotFound."""
    project = db.session.get(Project, project_id) if _valid_id(project_id) else None
    if project is None or (project.stage is ProjectStage.DRAFT and not is_staff(viewer)):
        raise NotFound(_("Проект не найден."))
    return project


def list_projects_query(viewer: User | None) -> Select[Any]:
    stmt = select(Project).order_by(Project.created_at.desc(), Project.id.desc())
    if not is_staff(viewer):
        stmt = stmt.where(Project.stage != ProjectStage.DRAFT)
    return stmt


def get_project_counts(project_ids: Sequence[int]) -> dict[int, ProjectCounts]:
    """Participants (everyone who wrote, supported or commented), visible ideas, their
    comments and supports."""
    if not project_ids:
        return {}
    visible = (Idea.project_id.in_(project_ids), Idea.status.in_(LISTED_STATUSES))
    totals = {
        row.project_id: row
        for row in db.session.execute(
            select(
                Idea.project_id,
                func.count(Idea.id).label("ideas"),
                func.coalesce(func.sum(Idea.comment_count), 0).label("comments"),
                func.coalesce(func.sum(Idea.support_count), 0).label("supports"),
            )
            .where(*visible)
            .group_by(Idea.project_id)
        )
    }
    participants = dict(
        db.session.execute(
            select(Participant.project_id, func.count())
            .where(Participant.project_id.in_(project_ids))
            .group_by(Participant.project_id)
        ).all()
    )
    result = {}
    for project_id in project_ids:
        row = totals.get(project_id)
        result[project_id] = ProjectCounts(
            participants=int(participants.get(project_id, 0)),
            ideas=int(row.ideas) if row else 0,
            comments=int(row.comments) if row else 0,
            supports=int(row.supports) if row else 0,
        )
    return result


def note_participant(project_id: int, user_id: int) -> None:
    """Count a person among the project's participants (once, whatever they do next)."""
    exists = db.session.scalar(
        select(Participant.user_id).where(
            Participant.project_id == project_id, Participant.user_id == user_id
        )
    )
    if exists is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(Participant(project_id=project_id, user_id=user_id))
    except IntegrityError:  # a concurrent request counted them first
        pass


def get_section(project: Project, section_id: object) -> Section:
    """A section of this project, or `Invalid` on the `section` field."""
    section = db.session.get(Section, section_id) if _valid_id(section_id) else None
    if section is None or section.project_id != project.id:
        raise Invalid(
            _("Проверьте раздел."),
            errors={"section": [_("Выберите раздел этого проекта.")]},
        )
    return section


# --- ideas ---------------------------------------------------------------------------------


def _record(idea: Idea, to: IdeaStatus, actor: User | None, note: str | None) -> None:
    db.session.add(
        IdeaStatusChange(
            idea_id=idea.id,
            from_status=idea.status if idea.id and idea.status != to else None,
            to_status=to,
            actor_id=actor.id if actor else None,
            note=note,
        )
    )


def _on_published(idea: Idea) -> None:
    if idea.published_at is None:
        idea.published_at = utcnow()
    if idea.author_id is not None:
        award_points(idea.author_id, PUBLISH_POINTS, "idea_published", "idea", idea.id)


def submit_idea(author: User, project: Project, title: str, body: str, section_id: int) -> Idea:
    """A verified resident's idea: pending under pre-moderation, else published at once."""
    if not author.is_verified:
        raise Forbidden(_("Сначала подтвердите аккаунт кодом."), extra={"reason": "not_verified"})
    require_stage(project, "submit")
    errors: dict[str, list[str]] = {}
    try:
        title, body = clean_idea(title, body)
    except Invalid as exc:
        errors.update(exc.errors or {})
    try:
        section = get_section(project, section_id)
    except Invalid as exc:
        errors.update(exc.errors or {})
    if errors:
        raise Invalid(_("Проверьте выделенные поля."), errors=errors)
    idea = Idea(
        project_id=project.id,
        section_id=section.id,
        author_id=author.id,
        title=title,
        body=body,
        normalized_text=text_index.normalize(text_index.idea_text(title, body)),
        status=IdeaStatus.PENDING,
    )
    db.session.add(idea)
    db.session.flush()
    note_participant(project.id, author.id)
    # Post-moderation publishes at once, unless the automatic checks hold the idea back.
    held = screening.screen("idea", idea.id, project, text_index.idea_text(title, body))
    status = (
        IdeaStatus.PENDING
        if project.moderation is ModerationMode.PRE or held
        else IdeaStatus.PUBLISHED
    )
    idea.status = status
    _record(idea, status, author, None)
    if status is IdeaStatus.PUBLISHED:
        _on_published(idea)
    db.session.flush()
    return idea


def can_view_idea(idea: Idea, viewer: User | None) -> bool:
    if idea.project.stage is ProjectStage.DRAFT and not is_staff(viewer):
        return False
    if idea.status in PUBLIC_STATUSES:
        return True
    return viewer is not None and (viewer.id == idea.author_id or is_moderator(viewer))


def get_idea(idea_id: int, viewer: User | None) -> Idea:
    idea = db.session.get(Idea, idea_id) if _valid_id(idea_id) else None
    if idea is None or not can_view_idea(idea, viewer):
        raise NotFound(_("Идея не найдена."))
    return idea


def edit_idea(
    idea: Idea,
    actor: User,
    *,
    title: str | None = None,
    body: str | None = None,
    section_id: int | None = None,
) -> Idea:
    """The author changes their idea while it waits for moderation.

    A changed text is screened again, so the moderator sees findings for what the idea says
    now (new ones found, those that no longer apply gone); the idea stays pending either way.
    """
    if actor.id != idea.author_id:
        raise Forbidden(_("Изменять идею может только её автор."))
    if idea.status is not IdeaStatus.PENDING:
        raise WrongStatus(_("Идею можно изменить, только пока она на модерации."))
    new_title, new_body = clean_idea(
        idea.title if title is None else title, idea.body if body is None else body
    )
    if section_id is not None:
        idea.section_id = get_section(idea.project, section_id).id
    if (new_title, new_body) != (idea.title, idea.body):
        idea.title, idea.body = new_title, new_body
        text = text_index.idea_text(new_title, new_body)
        idea.normalized_text = text_index.normalize(text)
        screening.screen("idea", idea.id, idea.project, text)
    idea.updated_at = utcnow()
    db.session.flush()
    return idea


def change_idea_status(
    idea: Idea,
    to: IdeaStatus,
    actor: User | None,
    note: str | None = None,
    *,
    notify_author: bool = True,
) -> Idea:
    """Move an idea to another status, keeping its history (moderation, selection).

    Publishing awards the author points once; the author hears of changes made by others.
    """
    to = IdeaStatus(to)
    if to is idea.status:
        raise WrongStatus(_("У идеи уже этот статус."))
    if to is IdeaStatus.MERGED:
        raise WrongStatus(_("Для объединения используйте merge_idea."))
    _record(idea, to, actor, note)
    idea.status = to
    if to is not IdeaStatus.MERGED:
        idea.merged_into_id = None
    if to in (IdeaStatus.PUBLISHED, IdeaStatus.SELECTED):
        _on_published(idea)
    idea.updated_at = utcnow()
    db.session.flush()
    if notify_author and idea.author is not None and (actor is None or actor.id != idea.author_id):
        _notify_status(idea, note)
    return idea


STATUS_LABELS = {
    "pending": _l("на модерации"),
    "published": _l("опубликована"),
    "rejected": _l("отклонена"),
    "hidden": _l("скрыта"),
    "merged": _l("объединена с другой"),
    "selected": _l("отобрана"),
}


def merged_into_family(idea: Idea) -> list[Idea]:
    """The idea and every idea merged into it, directly or through other merged ideas."""
    family, frontier = [idea], [idea.id]
    while frontier:
        joined = list(db.session.scalars(select(Idea).where(Idea.merged_into_id.in_(frontier))))
        family += joined
        frontier = [i.id for i in joined]
    return family


def get_merged_ideas(idea: Idea) -> list[Idea]:
    """The ideas merged into this one, directly or through each other, oldest first: its
    page and the API list them, and their authors as co-authors."""
    return sorted(merged_into_family(idea)[1:], key=lambda merged: merged.id)


def get_coauthors(idea: Idea, merged: Sequence[Idea]) -> list[tuple[int | None, str]]:
    """(user id, or None for an imported idea; name) of the authors of `merged` other than
    the idea's own author, once each: the merge notice tells them they are co-authors."""
    seen: set[object] = {idea.author_id if idea.author_id is not None else idea.author_name}
    found = []
    for other in merged:
        key = other.author_id if other.author_id is not None else other.author_name
        if key is not None and key not in seen:
            seen.add(key)
            found.append((other.author_id, other.author_display_name))
    return found


def people_behind(idea: Idea) -> list[User]:
    """The authors to tell about an idea: its own and those of the ideas merged into it."""
    authors = {i.author.id: i.author for i in merged_into_family(idea) if i.author is not None}
    return list(authors.values())


def _notify_status(idea: Idea, note: str | None) -> None:
    """Tell the author, and the authors of ideas merged into this one, each in their language."""
    for author in people_behind(idea):
        with force_locale(author.locale or "ru"):  # in the author's language, not the actor's
            status = str(STATUS_LABELS[idea.status.value])
            body = _("Статус идеи «%(title)s»: %(status)s.", title=idea.title, status=status)
            subject = _("Идея: %(status)s", status=status)
        if note:
            body += "\n" + note
        notify([author], "idea_status", subject, body, link=f"/ideas/{idea.id}")


def withdraw_idea(idea: Idea, actor: User, note: str | None = None) -> Idea:
    """DELETE /ideas/{id}: the author withdraws, or a moderator hides; history is kept."""
    if actor.id != idea.author_id and not is_moderator(actor):
        raise Forbidden(_("Убрать идею может её автор или модератор."))
    if idea.status is IdeaStatus.HIDDEN:
        return idea
    default = _("Автор отозвал идею.") if actor.id == idea.author_id else None
    return change_idea_status(idea, IdeaStatus.HIDDEN, actor, note or default)


def merge_idea(source: Idea, target: Idea, actor: User | None, note: str | None = None) -> Idea:
    """Fold a duplicate into another idea of the same project.

    Supports move to the target (one per person: people who supported both keep one),
    marked `moved_by_merge` so that their owners may withdraw them until selection; the
    source becomes `merged` with `merged_into` set, and its author keeps the credit (the
    publication points, once) and is the target's co-author (`get_coauthors`).
    """
    if source.id == target.id or source.project_id != target.project_id:
        raise Invalid(
            _("Объединять можно только разные идеи одного проекта."),
            errors={"merge_into": [_("Выберите другую идею этого проекта.")]},
        )
    if target.status not in (IdeaStatus.PUBLISHED, IdeaStatus.SELECTED, IdeaStatus.PENDING):
        raise WrongStatus(_("Идея, с которой объединяют, должна быть опубликована."))
    already = select(Support.user_id).where(Support.idea_id == target.id)
    db.session.execute(
        update(Support)
        .where(Support.idea_id == source.id, Support.user_id.not_in(already))
        .values(idea_id=target.id, moved_by_merge=True)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(delete(Support).where(Support.idea_id == source.id))
    _record(source, IdeaStatus.MERGED, actor, note)
    source.status = IdeaStatus.MERGED
    source.merged_into_id = target.id
    source.updated_at = utcnow()
    if source.author_id is not None:
        award_points(source.author_id, PUBLISH_POINTS, "idea_published", "idea", source.id)
    db.session.flush()
    for idea in (source, target):
        _recount_supports(idea)
    db.session.flush()
    return source


def _recount_supports(idea: Idea) -> None:
    idea.support_count = (
        db.session.scalar(select(func.count(Support.id)).where(Support.idea_id == idea.id)) or 0
    )


def list_ideas_query(
    project: Project,
    viewer: User | None,
    *,
    q: str | None = None,
    section_id: int | None = None,
    status: IdeaStatus | None = None,
    sort: str = "new",
) -> Select[Any]:
    """The ideas of a project as a select, for pages and the API alike.

    Without `status`: published and selected ideas. Statuses not shown to everyone
    (pending, rejected, hidden) are listed for moderators and staff only.
    """
    stmt = select(Idea).where(Idea.project_id == project.id)
    if status is None:
        stmt = stmt.where(Idea.status.in_(LISTED_STATUSES))
    else:
        status = IdeaStatus(status)
        if status not in PUBLIC_STATUSES and not is_moderator(viewer):
            raise Forbidden(_("Этот статус видят только модераторы."))
        stmt = stmt.where(Idea.status == status)
    if section_id is not None:
        stmt = stmt.where(Idea.section_id == section_id)
    if q and q.strip():
        stmt = search.apply(stmt, q, text_index.normalize(q))
    order = {
        "top": (Idea.support_count.desc(), Idea.id.desc()),
        "discussed": (Idea.comment_count.desc(), Idea.id.desc()),
    }.get(sort, (Idea.id.desc(),))
    return stmt.order_by(*order)


def paginate_ideas(stmt: Select[Any], page: int, per_page: int) -> tuple[list[Idea], int]:
    """One page of a `list_ideas_query` and the total.

    Ids are sorted and cut first (from the indexes, without the ideas' texts), then only
    that page's rows are loaded: with 100,000 ideas this is what keeps lists fast.
    """
    ids_stmt = stmt.with_only_columns(Idea.id)
    total = db.session.scalar(select(func.count()).select_from(ids_stmt.order_by(None).subquery()))
    ids = list(db.session.scalars(ids_stmt.limit(per_page).offset((page - 1) * per_page)))
    rows = {idea.id: idea for idea in db.session.scalars(select(Idea).where(Idea.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows], int(total or 0)


def list_ideas_of_project(
    project_id: int, statuses: Iterable[IdeaStatus] = LISTED_STATUSES
) -> list[Idea]:
    """Every idea of a project in the given statuses, oldest first (for other packages)."""
    return list(
        db.session.scalars(
            select(Idea)
            .where(Idea.project_id == project_id, Idea.status.in_(list(statuses)))
            .order_by(Idea.id)
        )
    )


def get_published_texts(project_id: int) -> list[tuple[int, str, str]]:
    """(id, title + body, normalized text) of published and selected ideas, for clustering."""
    rows = db.session.execute(
        select(Idea.id, Idea.title, Idea.body, Idea.normalized_text)
        .where(Idea.project_id == project_id, Idea.status.in_(LISTED_STATUSES))
        .order_by(Idea.id)
    )
    return [(r.id, text_index.idea_text(r.title, r.body), r.normalized_text) for r in rows]


def find_similar(project: Project, text: str, limit: int = 5) -> list[tuple[Idea, float]]:
    """Published ideas of the project most alike `text` (for the form and duplicates)."""
    found = text_index.similar_ideas(project.id, text, limit)
    if not found:
        return []
    ideas = {
        idea.id: idea
        for idea in db.session.scalars(
            select(Idea).where(
                Idea.id.in_([i for i, _s in found]), Idea.status.in_(LISTED_STATUSES)
            )
        )
    }
    return [(ideas[i], score) for i, score in found if i in ideas]


# --- supports ------------------------------------------------------------------------------


def _require_public(idea: Idea) -> None:
    if idea.status not in (IdeaStatus.PUBLISHED, IdeaStatus.SELECTED):
        raise WrongStatus(_("Это можно делать только с опубликованной идеей."))


def support_idea(user: User, idea: Idea) -> Support:
    """One support per person per idea; a second is `AlreadySupported` (409)."""
    if not user.is_verified:
        raise Forbidden(_("Сначала подтвердите аккаунт кодом."), extra={"reason": "not_verified"})
    require_stage(idea.project, "support")
    _require_public(idea)
    support = Support(idea_id=idea.id, user_id=user.id)
    try:
        with db.session.begin_nested():
            db.session.add(support)
    except IntegrityError:
        raise AlreadySupported(_("Вы уже поддержали эту идею.")) from None
    note_participant(idea.project_id, user.id)
    _bump(idea, Idea.support_count, +1)
    return support


def _get_support(user: User, idea: Idea) -> Support | None:
    return db.session.scalar(
        select(Support).where(Support.idea_id == idea.id, Support.user_id == user.id)
    )


def _moved_before_selection(support: Support | None, idea: Idea) -> bool:
    """A support a merge moved here, on an idea not yet selected: its owner was told they
    may withdraw it, so they may in any stage until the idea is selected."""
    return support is not None and support.moved_by_merge and idea.status is not IdeaStatus.SELECTED


def may_withdraw_support(user: User, idea: Idea) -> bool:
    """Whether `user` may withdraw their support of `idea` now (see `withdraw_support`)."""
    return stage_allows(idea.project, "support") or _moved_before_selection(
        _get_support(user, idea), idea
    )


def withdraw_support(user: User, idea: Idea) -> None:
    """Withdraw one's support in the stages that allow supporting; a support a merge moved
    here may also be withdrawn later, until the idea is selected."""
    support = _get_support(user, idea)
    if not _moved_before_selection(support, idea):
        require_stage(idea.project, "support")
    deleted = db.session.execute(
        delete(Support).where(Support.idea_id == idea.id, Support.user_id == user.id)
    ).rowcount
    if not deleted:
        raise NotFound(_("Вы не поддерживали эту идею."))
    _bump(idea, Idea.support_count, -1)


def _bump(idea: Idea, column: Any, delta: int) -> None:
    # One UPDATE in the same transaction keeps the count right under concurrent requests;
    # updated_at is left alone so that counters do not look like an edit of the idea.
    db.session.execute(
        update(Idea)
        .where(Idea.id == idea.id)
        .values({column.key: column + delta, Idea.updated_at.key: Idea.updated_at})
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    db.session.refresh(idea, [column.key])


def supported_idea_ids(user: User | None, idea_ids: Iterable[int]) -> set[int]:
    ids = list(idea_ids)
    if user is None or not ids:
        return set()
    return set(
        db.session.scalars(
            select(Support.idea_id).where(Support.user_id == user.id, Support.idea_id.in_(ids))
        )
    )


# --- comments ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadPlace:
    """Where a comment is shown: under which comment (None: on the idea itself) and at which
    level, 1 to `COMMENT_MAX_DEPTH`."""

    parent_id: int | None
    level: int


def place_comments(links: Iterable[tuple[int, int | None]]) -> dict[int, ThreadPlace]:
    """Each comment's place in its thread, from `(id, parent_id)` pairs, without recursion.

    A comment whose parent sits at the deepest level is placed beside that parent, so
    chains written before threads had a depth limit read as flat at the deepest level.
    A parent missing from `links` (or a loop of parents) puts the comment on the idea itself.
    """
    parents = dict(links)
    places: dict[int, ThreadPlace] = {}
    for start in parents:
        chain: list[int] = []
        seen: set[int] = set()
        node: int | None = start
        # Climb to a placed comment, the idea itself, a missing parent or a loop of parents.
        while node in parents and node not in places and node not in seen:
            chain.append(node)
            seen.add(node)
            node = parents[node]
        above = places.get(node) if node is not None else None
        for comment_id in reversed(chain):
            if above is None:
                place = ThreadPlace(None, 1)
            elif above.level < COMMENT_MAX_DEPTH:
                place = ThreadPlace(parents[comment_id], above.level + 1)
            else:
                place = ThreadPlace(above.parent_id, COMMENT_MAX_DEPTH)
            places[comment_id] = above = place
    return places


def get_comment_places(idea: Idea) -> dict[int, ThreadPlace]:
    """The place of every comment of the idea (one query over ids, whatever the thread depth)."""
    rows = db.session.execute(
        select(Comment.id, Comment.parent_id).where(Comment.idea_id == idea.id).order_by(Comment.id)
    )
    return place_comments((row.id, row.parent_id) for row in rows)


def _reply_parent(idea: Idea, parent_id: object) -> int | None:
    """The comment a reply is stored under: the one replied to, or, when that one is at the
    deepest level, the comment it is shown under (the reply becomes its sibling)."""
    parent = db.session.get(Comment, parent_id) if _valid_id(parent_id) else None
    if parent is None or parent.idea_id != idea.id:
        raise Invalid(
            _("Проверьте выделенные поля."),
            errors={"parent_id": [_("Ответить можно только на комментарий этой идеи.")]},
        )
    place = get_comment_places(idea)[parent.id]
    return parent.id if place.level < COMMENT_MAX_DEPTH else place.parent_id


def add_comment(author: User, idea: Idea, body: str, parent_id: object = None) -> Comment:
    """A verified resident's comment, optionally a reply to another comment of the idea.

    Threads are at most `COMMENT_MAX_DEPTH` levels deep: a reply to a comment at the deepest
    level is stored beside it, under that comment's own parent.
    """
    if not author.is_verified:
        raise Forbidden(_("Сначала подтвердите аккаунт кодом."), extra={"reason": "not_verified"})
    require_stage(idea.project, "comment")
    _require_public(idea)
    text = clean_field("body", body, min_length=COMMENT_MIN, max_length=COMMENT_MAX, multiline=True)
    if parent_id is not None:
        parent_id = _reply_parent(idea, parent_id)
    comment = Comment(idea_id=idea.id, author_id=author.id, parent_id=parent_id, body=text)
    db.session.add(comment)
    db.session.flush()
    note_participant(idea.project_id, author.id)
    if screening.screen("comment", comment.id, idea.project, text):
        comment.status = CommentStatus.PENDING  # held for a moderator; not counted until approved
        db.session.flush()
        return comment
    _bump(idea, Idea.comment_count, +1)
    return comment


def set_comment_status(comment: Comment, status: CommentStatus) -> Comment:
    """Hide or restore a comment (moderation); the idea's comment count follows."""
    status = CommentStatus(status)
    if status is comment.status:
        return comment
    was_counted = comment.status is CommentStatus.PUBLISHED
    comment.status = status
    db.session.flush()
    counted = status is CommentStatus.PUBLISHED
    if was_counted != counted:
        _bump(comment.idea, Idea.comment_count, +1 if counted else -1)
    return comment


def list_comments_query(idea: Idea) -> Select[Any]:
    return select(Comment).where(Comment.idea_id == idea.id).order_by(Comment.id)


def get_comment(comment_id: int, viewer: User | None) -> Comment:
    comment = db.session.get(Comment, comment_id) if _valid_id(comment_id) else None
    if comment is None or not can_view_idea(comment.idea, viewer):
        raise NotFound(_("Комментарий не найден."))
    return comment


# --- flags ---------------------------------------------------------------------------------


def flag(user: User, target_type: FlagTarget, target_id: int, reason: str) -> Flag:
    """One report per person per idea or comment; a second is `AlreadyFlagged` (409)."""
    text = clean_field("reason", reason, min_length=REASON_MIN, max_length=REASON_MAX)
    row = Flag(
        target_type=FlagTarget(target_type), target_id=target_id, user_id=user.id, reason=text
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        raise AlreadyFlagged(_("Вы уже пожаловались на это.")) from None
    return row


def list_open_flags(target_type: FlagTarget | None = None) -> list[Flag]:
    """Unresolved reports, oldest first (for the moderation queue)."""
    stmt = select(Flag).where(Flag.resolved_at.is_(None)).order_by(Flag.id)
    if target_type is not None:
        stmt = stmt.where(Flag.target_type == target_type)
    return list(db.session.scalars(stmt))


def get_history(idea: Idea) -> list[IdeaStatusChange]:
    return list(
        db.session.scalars(
            select(IdeaStatusChange)
            .where(IdeaStatusChange.idea_id == idea.id)
            .order_by(IdeaStatusChange.id)
        )
    )


# --- import --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedIdea:
    title: object
    body: object
    section: object  # a section id or title
    author_name: object = None


def import_ideas(
    project: Project,
    rows: Sequence[ImportedIdea],
    actor: User | None,
    status: IdeaStatus = IdeaStatus.PUBLISHED,
) -> list[Idea]:
    """Load ideas gathered elsewhere (paper forms, another site): all rows or none.

    Each row obeys the same text rules as a resident's idea; errors name the row
    (`ideas.3.title`). Imported ideas have no account; `author_name` keeps who wrote them.
    """
    status = IdeaStatus(status)
    if status not in (IdeaStatus.PENDING, IdeaStatus.PUBLISHED):
        raise Invalid(
            _("Проверьте статус."), errors={"status": [_("Только pending или published.")]}
        )
    sections = {s.id: s for s in project.sections}
    by_title = {s.title.casefold(): s for s in project.sections}
    errors: dict[str, list[str]] = {}
    cleaned: list[tuple[str, str, Section, str | None]] = []
    for number, row in enumerate(rows):
        try:
            title, body = clean_idea(row.title, row.body)
        except Invalid as exc:
            for field, messages in (exc.errors or {}).items():
                errors[f"ideas.{number}.{field}"] = messages
            continue
        section = None
        if _valid_id(row.section):
            section = sections.get(row.section)  # type: ignore[call-overload]
        elif isinstance(row.section, str):
            key = row.section.strip()
            number = parse_int(key)
            section = sections.get(number) if number is not None else by_title.get(key.casefold())
        if section is None:
            errors[f"ideas.{number}.section"] = [_("Нет такого раздела в этом проекте.")]
            continue
        author = str(row.author_name).strip()[:80] if row.author_name else None
        cleaned.append((title, body, section, author or None))
    if errors:
        raise Invalid(_("Идеи не загружены: исправьте ошибки в строках."), errors=errors)
    normalized = text_index.normalize_many([text_index.idea_text(t, b) for t, b, _s, _a in cleaned])
    ideas = [
        Idea(
            project_id=project.id,
            section_id=section.id,
            author_name=author,
            title=title,
            body=body,
            normalized_text=norm,
            status=status,
            source="import",
            published_at=utcnow() if status is IdeaStatus.PUBLISHED else None,
        )
        for (title, body, section, author), norm in zip(cleaned, normalized, strict=True)
    ]
    db.session.add_all(ideas)
    db.session.flush()
    for idea in ideas:
        _record(idea, status, actor, _("Загружена из внешнего источника."))
    db.session.flush()
    return ideas


STAGE_LABELS = {
    "draft": _l("черновик"),
    "ideas": _l("сбор идей"),
    "rating": _l("рейтинг"),
    "expert_review": _l("экспертиза"),
    "results": _l("итоги"),
    "closed": _l("завершён"),
}
MODERATION_LABELS = {
    "pre": _l("предмодерация: идеи публикуются после проверки"),
    "post": _l("постмодерация: идеи публикуются сразу"),
}
