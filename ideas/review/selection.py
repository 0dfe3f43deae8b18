"""Staff select the ideas the city will carry out, and track how each is implemented."""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.models import User
from app.db import utcnow
from app.errors import Conflict, Invalid
from app.extensions import db
from app.notifications.services import notify
from app.points.services import award_points
from app.text import check_text
from ideas import services as ideas
from ideas.clustering.models import ClusteringRun, DuplicateGroup, RunStatus
from ideas.models import Idea, IdeaStatus, Project, ProjectStage, Support
from ideas.review.models import Implementation, ImplementationStatus, ImplementationUpdate

SELECTED_POINTS = 100
SELECTION_STAGES = (ProjectStage.EXPERT_REVIEW, ProjectStage.RESULTS)
MAX_SELECTION = 500


def _duplicate_partners(idea: Idea) -> list[Idea]:
    """Ideas the latest clustering run grouped with this one as near-duplicates."""
    run = db.session.scalars(
        select(ClusteringRun)
        .where(ClusteringRun.project_id == idea.project_id, ClusteringRun.status == RunStatus.DONE)
        .order_by(ClusteringRun.finished_at.desc(), ClusteringRun.id.desc())
        .limit(1)
    ).first()
    if run is None:
        return []
    partner_ids = {
        other
        for group in db.session.scalars(
            select(DuplicateGroup.idea_ids).where(DuplicateGroup.run_id == run.id)
        )
        if idea.id in group
        for other in group
        if other != idea.id
    }
    if not partner_ids:
        return []
    return list(db.session.scalars(select(Idea).where(Idea.id.in_(partner_ids))))


def selection_recipients(idea: Idea) -> list[User]:
    """Everyone whose idea lives on in `idea`: its author, authors of ideas merged into it,
    and authors of the ideas clustered as its duplicates."""
    people = {user.id: user for user in ideas.people_behind(idea)}
    for partner in _duplicate_partners(idea):
        for user in ideas.people_behind(partner):
            people.setdefault(user.id, user)
    return list(people.values())


def select_ideas(staff: User, project: Project, idea_ids: object) -> list[Idea]:
    """Mark ideas `selected`; every idea must be a published idea of this project."""
    if project.stage not in SELECTION_STAGES:
        raise Conflict(
            _("Отбирать идеи можно на этапах экспертизы и итогов."),
            extra={"stage": project.stage.value},
        )
    if (
        not isinstance(idea_ids, list)
        or not idea_ids
        or len(idea_ids) > MAX_SELECTION
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in idea_ids)
    ):
        raise Invalid(
            _("Передайте непустой список номеров идей."),
            errors={"idea_ids": [_("Нужен непустой список целых чисел.")]},
        )
    wanted = list(dict.fromkeys(idea_ids))
    found = {i.id: i for i in db.session.scalars(select(Idea).where(Idea.id.in_(wanted)))}
    problems = []
    for idea_id in wanted:
        idea = found.get(idea_id)
        if idea is None or idea.project_id != project.id:
            problems.append(_("№%(id)s: нет такой идеи в этом проекте.", id=idea_id))
        elif idea.status not in (IdeaStatus.PUBLISHED, IdeaStatus.SELECTED):
            problems.append(
                _(
                    "№%(id)s: идея «%(status)s» не может быть отобрана.",
                    id=idea_id,
                    status=idea.status.value,
                )
            )
    if problems:
        raise Invalid(_("Некоторые идеи нельзя отобрать."), errors={"idea_ids": problems})
    selected = []
    for idea_id in wanted:
        idea = found[idea_id]
        if idea.status is IdeaStatus.SELECTED:
            continue
        ideas.change_idea_status(idea, IdeaStatus.SELECTED, staff, None, notify_author=False)
        if db.session.get(Implementation, idea.id) is None:
            db.session.add(Implementation(idea_id=idea.id, status=ImplementationStatus.PLANNED))
        for user in ideas.people_behind(idea):
            award_points(user.id, SELECTED_POINTS, "idea_selected", "idea", idea.id)
        for user in selection_recipients(idea):
            with force_locale(user.locale or "ru"):
                notify(
                    [user],
                    "idea_selected",
                    _("Идея отобрана для реализации"),
                    _(
                        "Идея «%(title)s», в которую вошло и ваше предложение, отобрана для "
                        "реализации. Следите за ходом работ на странице итогов.",
                        title=idea.title,
                    ),
                    link=f"/ideas/{idea.id}",
                )
        selected.append(idea)
    db.session.flush()
    return selected


def set_implementation(
    staff: User, idea: Idea, status: object, progress: object, note: object
) -> Implementation:
    """Record where the city stands with a selected idea; its people and supporters hear of it."""
    if idea.status is not IdeaStatus.SELECTED:
        raise Conflict(
            _("Ход реализации ведётся только для отобранных идей."),
            extra={"idea_status": idea.status.value},
        )
    errors: dict[str, list[str]] = {}
    try:
        new_status = ImplementationStatus(status)
    except ValueError:
        errors["status"] = [
            _("Возможные: %(v)s.", v=", ".join(s.value for s in ImplementationStatus))
        ]
        new_status = ImplementationStatus.PLANNED
    if not isinstance(progress, int) or isinstance(progress, bool) or not 0 <= progress <= 100:
        errors["progress"] = [_("Прогресс — целое число от 0 до 100.")]
    text = None
    if note not in (None, ""):
        text, problems = check_text(note, min_length=1, max_length=5000, multiline=True)
        if problems:
            errors["note"] = problems
    if new_status is ImplementationStatus.DECLINED and not text:
        errors["note"] = [_("Объясните, почему от реализации отказались.")]
    if errors:
        raise Invalid(_("Проверьте выделенные поля."), errors=errors)
    percent = 100 if new_status is ImplementationStatus.DONE else int(progress)  # type: ignore[call-overload]
    record = db.session.get(Implementation, idea.id)
    if record is None:
        record = Implementation(idea_id=idea.id)
        db.session.add(record)
    record.status, record.progress, record.note = new_status, percent, text
    record.updated_at = utcnow()
    db.session.add(
        ImplementationUpdate(
            idea_id=idea.id, status=new_status, progress=percent, note=text, actor_id=staff.id
        )
    )
    supporters = list(
        db.session.scalars(
            select(User).join(Support, Support.user_id == User.id).where(Support.idea_id == idea.id)
        )
    )
    people = {u.id: u for u in [*selection_recipients(idea), *supporters]}
    for user in people.values():
        with force_locale(user.locale or "ru"):
            body = _(
                "Реализация идеи «%(title)s»: %(status)s, %(progress)s%%.",
                title=idea.title,
                status=str(IMPLEMENTATION_LABELS[new_status.value]),
                progress=percent,
            )
            if text:
                body += "\n" + text
            notify(
                [user],
                "implementation",
                _("Новости реализации идеи"),
                body,
                link=f"/ideas/{idea.id}",
            )
    db.session.flush()
    return record


IMPLEMENTATION_LABELS = {
    "planned": _l("запланирована"),
    "in_progress": _l("в работе"),
    "done": _l("реализована"),
    "declined": _l("отклонена"),
}
