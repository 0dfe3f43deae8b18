"""The rubric experts score on, and the review options of a project."""

from __future__ import annotations

import re
from collections.abc import Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.errors import Invalid
from app.extensions import db
from app.text import check_text
from ideas.models import Project
from ideas.review.models import Criterion, ReviewSettings

SCORE_MIN, SCORE_MAX = 1, 5
DEFAULT_RUBRIC = (
    ("usefulness", _l("Польза для жителей"), 3.0),
    ("feasibility", _l("Реализуемость"), 2.0),
    ("cost", _l("Затраты (5 — недорого)"), 1.0),
    ("reach", _l("Охват: скольких жителей касается"), 2.0),
)
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def get_rubric(project: Project) -> list[Criterion]:
    """The project's criteria; a project without its own gets the default rubric."""
    criteria = list(
        db.session.scalars(
            select(Criterion).where(Criterion.project_id == project.id).order_by(Criterion.position)
        )
    )
    if criteria:
        return criteria
    defaults = [
        Criterion(project_id=project.id, code=code, title=str(title), weight=weight, position=i)
        for i, (code, title, weight) in enumerate(DEFAULT_RUBRIC)
    ]
    db.session.add_all(defaults)
    db.session.flush()
    return defaults


def get_settings(project: Project) -> ReviewSettings:
    settings = db.session.get(ReviewSettings, project.id)
    if settings is None:
        settings = ReviewSettings(project_id=project.id, blind=True, assignments_required=False)
        db.session.add(settings)
        db.session.flush()
    return settings


def set_rubric(project: Project, criteria: Sequence[dict[str, object]]) -> list[Criterion]:
    """Replace the criteria (before reviews start): each with a code, a title and a weight."""
    errors: dict[str, list[str]] = {}
    cleaned: list[tuple[str, str, float]] = []
    if not criteria:
        errors["criteria"] = [_("Нужен хотя бы один критерий.")]
    seen: set[str] = set()
    for i, item in enumerate(criteria):
        code, weight = item.get("code"), item.get("weight", 1)
        title, problems = check_text(item.get("title"), min_length=2, max_length=200)
        if not isinstance(code, str) or not _CODE.match(code) or code in seen:
            errors[f"criteria.{i}.code"] = [_("Код: латинские буквы, цифры и _, без повторов.")]
        if problems:
            errors[f"criteria.{i}.title"] = problems
        if not isinstance(weight, int | float) or isinstance(weight, bool) or not 0 < weight <= 100:
            errors[f"criteria.{i}.weight"] = [_("Вес — число больше 0 и не больше 100.")]
        if isinstance(code, str):
            seen.add(code)
            cleaned.append((code, title, float(weight) if isinstance(weight, int | float) else 1.0))
    if errors:
        raise Invalid(_("Проверьте критерии."), errors=errors)
    for old in db.session.scalars(select(Criterion).where(Criterion.project_id == project.id)):
        db.session.delete(old)
    db.session.flush()
    new = [
        Criterion(project_id=project.id, code=code, title=title, weight=weight, position=i)
        for i, (code, title, weight) in enumerate(cleaned)
    ]
    db.session.add_all(new)
    db.session.flush()
    return new
