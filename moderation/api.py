"""Moderation over JSON: queue, decisions, reasons, log, blocking, workload."""

from __future__ import annotations

from flask import Response

from app.api import BEARER_SECURITY, api_blueprint, json_response, paginate, problems
from app.auth.models import Role
from app.auth.permissions import require_user
from app.db import utcnow
from app.extensions import db
from moderation import users as user_moderation
from moderation.decisions import DecisionRequest, decide
from moderation.log import count_decisions_since, decisions_query, median_seconds_to_decision
from moderation.queue import count_waiting, list_queue
from moderation.reasons import list_reasons
from moderation.schemas import (
    BlockIn,
    BlockOut,
    DecisionIn,
    DecisionOut,
    DecisionPage,
    FlaggedUserOut,
    LogQuery,
    QueueItemOut,
    QueuePage,
    QueueQuery,
    ReasonOut,
    ReasonsOut,
    ReasonsQuery,
    UserPath,
    WorkloadOut,
)

api = api_blueprint("moderation_api", __name__, "moderation", "Queue, decisions, audit log")
SECURED = {"security": BEARER_SECURITY}


@api.get("/moderation/queue", responses={200: QueuePage, **problems(401, 403)}, **SECURED)
def queue(query: QueueQuery) -> Response:
    """Pending and flagged ideas and comments, oldest first, with what the checks found."""
    require_user(Role.MODERATOR)
    items, total = list_queue(
        project_id=query.project_id, kind=query.kind, page=query.page, per_page=query.per_page
    )
    return json_response(
        QueuePage(
            items=[QueueItemOut.of(item) for item in items],
            page=query.page,
            per_page=query.per_page,
            total=total,
        )
    )


@api.post(
    "/moderation/decisions",
    responses={201: DecisionOut, **problems(401, 403, 404, 409)},
    **SECURED,
)
def create_decision(body: DecisionIn) -> Response:
    """Approve, reject (with a reason code), hide, restore, or merge an idea into another."""
    moderator = require_user(Role.MODERATOR)
    decision = decide(moderator, DecisionRequest(**body.model_dump()))
    db.session.commit()
    return json_response(DecisionOut.of(decision), 201)


@api.get("/moderation/reasons", responses={200: ReasonsOut, **problems(401, 403)}, **SECURED)
def reasons(query: ReasonsQuery) -> Response:
    """The reason codes decisions may cite (the platform's and the project's own)."""
    require_user(Role.MODERATOR, Role.STAFF)
    items = [ReasonOut.of(reason) for reason in list_reasons(query.project_id)]
    return json_response(ReasonsOut(items=items))


@api.get("/moderation/log", responses={200: DecisionPage, **problems(401, 403)}, **SECURED)
def decision_log(query: LogQuery) -> Response:
    """Every decision, newest first: who, when, what, why, and the state before and after."""
    require_user(Role.MODERATOR, Role.STAFF)
    stmt = decisions_query(
        target_type=query.target_type,
        target_id=query.target_id,
        moderator_id=query.moderator_id,
        action=query.action,
    )
    return json_response(paginate(stmt, query, lambda d: DecisionOut.of(d).model_dump(mode="json")))


@api.post(
    "/users/<int:user_id>/block",
    responses={200: BlockOut, **problems(401, 403, 404, 409)},
    **SECURED,
)
def block_user(path: UserPath, body: BlockIn) -> Response:
    """Block an account: it can still sign in and read, but not post, support, flag or vote."""
    moderator = require_user(Role.MODERATOR)
    user = user_moderation.get_user(path.user_id)
    decision = user_moderation.block(moderator, user, body.reason, body.note)
    db.session.commit()
    return json_response(BlockOut(user_id=user.id, blocked=True, decision_id=decision.id))


@api.post(
    "/users/<int:user_id>/unblock",
    responses={200: BlockOut, **problems(401, 403, 404, 409)},
    **SECURED,
)
def unblock_user(path: UserPath, body: BlockIn) -> Response:
    """Lift a block."""
    moderator = require_user(Role.MODERATOR)
    user = user_moderation.get_user(path.user_id)
    decision = user_moderation.unblock(moderator, user, body.note)
    db.session.commit()
    return json_response(BlockOut(user_id=user.id, blocked=False, decision_id=decision.id))


@api.get("/moderation/workload", responses={200: WorkloadOut, **problems(401, 403)}, **SECURED)
def workload() -> Response:
    """How many items wait, how long decisions take, and who was flagged past the threshold."""
    require_user(Role.MODERATOR, Role.STAFF)
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    flagged = [
        FlaggedUserOut(
            user_id=user.id, display_name=user.display_name, flaggers=count, blocked=user.is_blocked
        )
        for user, count in user_moderation.flagged_users()
    ]
    return json_response(
        WorkloadOut(
            waiting={
                "ideas": count_waiting(kind="idea"),
                "comments": count_waiting(kind="comment"),
            },
            median_seconds_to_decision=median_seconds_to_decision(),
            decisions_today=count_decisions_since(today),
            flagged_users=flagged,
        )
    )
