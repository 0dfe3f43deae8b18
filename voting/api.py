"""Polls over JSON: the contract of ../shared/API.md (Polls)."""

from __future__ import annotations

import json

from flask import Response, request, url_for

from app.api import BEARER_SECURITY, api_blueprint, json_response, paginate, problems
from app.auth.models import Role
from app.auth.permissions import get_actor, require_user, require_verified_standing
from app.caching import set_cache_policy
from app.extensions import db
from app.transactions import statement_connection
from voting import ballots, drafting, ledger, services
from voting.models import PollStatus
from voting.results import get_results, results_csv
from voting.schemas import (
    BallotsOut,
    ConsistencyOut,
    ConsistencyQuery,
    ExportQuery,
    LeavesOut,
    LeavesQuery,
    LedgerHeadOut,
    PollDecisionIn,
    PollIn,
    PollListQuery,
    PollOut,
    PollPageOut,
    PollPatch,
    PollPath,
    PollResultsOut,
    ReceiptOut,
    ReceiptPath,
    ReceiptStatusOut,
    VoteIn,
    content_fields,
)

api = api_blueprint("voting_api", __name__, "polls", "Polls: ballots, results, ledger, decisions")


def _load(poll_id: int):  # type: ignore[no-untyped-def]
    """The poll if visible, closed first if its closing time has passed."""
    poll = services.get_poll(poll_id, get_actor())
    if services.refresh_status(poll):
        db.session.commit()
    return poll


@api.get("/polls", responses={200: PollPageOut})
def list_polls(query: PollListQuery) -> Response:
    """Polls with questions, options, audience, schedule and status (drafts for staff only)."""
    status = PollStatus(query.status) if query.status else None
    stmt = services.list_polls_query(get_actor(), status)
    return json_response(paginate(stmt, query, lambda p: PollOut.of(p).model_dump(mode="json")))


@api.post("/polls", responses={201: PollOut, **problems(401, 403)}, security=BEARER_SECURITY)
def create_poll(body: PollIn) -> Response:
    """Create a draft poll (staff)."""
    staff = require_user(Role.STAFF)
    poll = drafting.create_poll(staff, **content_fields(body))
    db.session.commit()
    return json_response(PollOut.of(poll), 201)


@api.get("/polls/<int:poll_id>", responses={200: PollOut, **problems(404)})
def get_poll(path: PollPath) -> Response:
    """One poll with its questions and options."""
    return json_response(PollOut.of(_load(path.poll_id)))


@api.patch(
    "/polls/<int:poll_id>",
    responses={200: PollOut, **problems(401, 403, 404, 409)},
    security=BEARER_SECURITY,
)
def update_poll(path: PollPath, body: PollPatch) -> Response:
    """Edit a draft; `{status: open}` opens it, `{status: closed}` closes it, sealing the ledger."""
    require_user(Role.STAFF)
    poll = _load(path.poll_id)
    fields = content_fields(body)
    if fields:
        drafting.update_poll(poll, **fields)
    if body.status == "open":
        services.open_poll(poll)
    elif body.status == "closed":
        services.close_poll(poll)
    db.session.commit()
    return json_response(PollOut.of(poll))


@api.post(
    "/polls/<int:poll_id>/votes",
    responses={201: ReceiptOut, **problems(401, 403, 404, 409)},
    security=BEARER_SECURITY,
)
def vote(path: PollPath, body: VoteIn) -> Response:
    """Cast the one, final ballot of a verified resident of the audience; returns the receipt."""
    with statement_connection() as conn:  # on PostgreSQL the ballot is one statement
        voter = require_verified_standing(conn)
        receipt = ballots.cast_ballot(
            voter,
            path.poll_id,
            [a.model_dump(exclude_none=True) for a in body.answers],
            address=request.remote_addr,
            device=device_signature(),
            conn=conn,
        )
    check_url = url_for("voting.check_receipt", poll_id=path.poll_id)
    return json_response(
        ReceiptOut(receipt=receipt, poll_id=path.poll_id, check_url=check_url), 201
    )


# What a browser or app tells about itself, joined into its device signature (hashed before
# it is stored, for the coordinated-voting report).
DEVICE_HEADERS = ("User-Agent", "Accept-Language", "Sec-CH-UA-Platform")


def device_signature() -> str:
    """The request's device signature (`DEVICE_HEADERS`)."""
    headers = request.headers
    return "|".join(headers.get(h, "") for h in DEVICE_HEADERS)


def _visible_results(poll_id: int) -> tuple[dict, bool]:  # type: ignore[type-arg]
    """The results, and whether they are final (`services.results_are_final`); 403 for
    everyone, staff included, while an `after_close` poll is open."""
    poll = _load(poll_id)
    results = get_results(poll)
    db.session.commit()  # a closed poll counted here for the first time keeps its tally
    return results, services.results_are_final(poll)


@api.get("/polls/<int:poll_id>/results", responses={200: PollResultsOut, **problems(403, 404)})
def results(path: PollPath) -> Response:
    """Votes and share per option, turnout, okrugs and hours; once closed, the ledger root."""
    data, final = _visible_results(path.poll_id)
    return set_cache_policy(json_response(data), public=final)


EXPORT_RESPONSE = {
    "description": "The results as a file: JSON (the results document) or CSV",
    "content": {
        "application/json": {"schema": {"type": "object"}},
        "text/csv": {"schema": {"type": "string"}},
    },
}


@api.get("/polls/<int:poll_id>/export", responses={200: EXPORT_RESPONSE, **problems(403, 404)})
def export(path: PollPath, query: ExportQuery) -> Response:
    """Open data: the results as CSV (one row per option and okrug) or JSON."""
    data, final = _visible_results(path.poll_id)
    if query.format == "json":
        body = json.dumps(data, ensure_ascii=False, indent=2)
        mimetype, ext = "application/json", "json"
    else:
        body, mimetype, ext = results_csv(data), "text/csv", "csv"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="poll-{path.poll_id}.{ext}"'
    return set_cache_policy(response, public=final)


@api.get("/polls/<int:poll_id>/ballots", responses={200: BallotsOut, **problems(404, 409)})
def list_ballots(path: PollPath) -> Response:
    """Every anonymous ballot exactly as hashed into the ledger, in tree order, with the final
    signed tree head (after closing), streamed."""
    poll = _load(path.poll_id)
    return Response(ledger.ballots_document(poll), mimetype="application/json")


@api.get("/polls/<int:poll_id>/ledger", responses={200: LedgerHeadOut, **problems(404)})
def ledger_head(path: PollPath) -> Response:
    """The latest signed tree head of the poll's ledger (RFC 9162), while open and after."""
    return json_response(ledger.get_head(_load(path.poll_id)))


@api.get(
    "/polls/<int:poll_id>/ledger/consistency",
    responses={200: ConsistencyOut, **problems(404, 422)},
)
def ledger_consistency(path: PollPath, query: ConsistencyQuery) -> Response:
    """The RFC 9162 proof that the tree of size `second` extends the tree of size `first`."""
    poll = _load(path.poll_id)
    return json_response(ledger.get_consistency(poll, query.first, query.second))


@api.get("/polls/<int:poll_id>/ledger/leaves", responses={200: LeavesOut, **problems(404, 422)})
def ledger_leaves(path: PollPath, query: LeavesQuery) -> Response:
    """Leaves `start` to `end` (exclusive, at most 1,000) in tree order, each its ballot."""
    poll = _load(path.poll_id)
    return json_response(ledger.get_leaves(poll, query.start, query.end))


@api.get(
    "/polls/<int:poll_id>/receipts/<receipt>", responses={200: ReceiptStatusOut, **problems(404)}
)
def receipt_proof(path: ReceiptPath) -> Response:
    """`sealed` while the receipt's ballot waits to enter the ledger, then `recorded` with its
    place and inclusion proof in the latest tree. Dashes and spaces in the receipt are
    ignored."""
    poll = _load(path.poll_id)
    return json_response(ledger.get_receipt_status(poll, path.receipt))


@api.post(
    "/polls/<int:poll_id>/decision",
    responses={200: PollOut, **problems(401, 403, 404, 409)},
    security=BEARER_SECURITY,
)
def decision(path: PollPath, body: PollDecisionIn) -> Response:
    """Publish the decision taken on a closed poll; those who voted are notified. Once
    published, a new text is a correction: it needs a `reason`, every version is kept (the
    poll's `decision.versions`), and those told of the decision are told of the correction."""
    staff = require_user(Role.STAFF)
    poll = _load(path.poll_id)
    services.publish_decision(poll, body.text, staff, body.reason)
    db.session.commit()
    return json_response(PollOut.of(poll))
