"""Reason codes decisions cite: the platform's defaults plus those a project adds."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.errors import Invalid
from app.extensions import db
from moderation.models import ModerationReason


def list_reasons(project_id: int | None = None) -> list[ModerationReason]:
    condition = ModerationReason.project_id.is_(None)
    if project_id is not None:
        condition = or_(condition, ModerationReason.project_id == project_id)
    return list(
        db.session.scalars(
            select(ModerationReason)
            .where(condition)
            .order_by(ModerationReason.project_id.is_not(None), ModerationReason.position)
        )
    )


def require_reason(code: object, project_id: int | None) -> ModerationReason:
    """The reason with this code for the project, or a 422 naming the codes that exist."""
    reasons = {reason.code: reason for reason in list_reasons(project_id)}
    if not isinstance(code, str) or code not in reasons:
        message = _("Неизвестная причина; возможные: %(codes)s.", codes=", ".join(reasons))
        raise Invalid(message, errors={"reason": [message]})
    return reasons[code]
