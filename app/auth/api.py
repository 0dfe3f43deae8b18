"""Accounts over JSON: register, tokens, verification, profile, districts."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, current_app, request
from flask_babel import gettext as _

from app.api import BEARER_SECURITY, api_blueprint, json_response, problems
from app.auth import limits
from app.auth.permissions import require_user
from app.auth.schemas import (
    CodeIn,
    CodeSentOut,
    DistrictsOut,
    OkrugOut,
    RegisterIn,
    TokenIn,
    TokenOut,
    UserOut,
)
from app.auth.services import (
    authenticate,
    confirm_verification,
    issue_token,
    register_user,
    revoke_token,
    send_verification_code,
)
from app.districts import list_okrugs
from app.errors import Unauthorized
from app.extensions import db, limiter

api = api_blueprint("auth_api", __name__, "accounts", "Accounts, tokens, verification, districts")


@api.post("/auth/register", responses={201: UserOut, **problems(409)})
@limiter.limit(limits.register_limit, methods=["POST"])
def register(body: RegisterIn) -> Response:
    """Create a resident account (unverified until the code is confirmed)."""
    user = register_user(body.email, body.password, body.display_name, body.district)
    db.session.commit()
    return json_response(UserOut.of(user), 201)


@api.post("/auth/token", responses={200: TokenOut, **problems(401)})
@limiter.limit(limits.login_limit, methods=["POST"], deduct_when=limits.failed)
def create_token(body: TokenIn) -> Response:
    """Exchange e-mail and password for a bearer token.

    After a few failed tries on one account, the next must wait a growing delay (at most
    15 minutes): a try inside it gets 429 with Retry-After, its password unchecked."""
    user = authenticate(body.email, body.password)
    if user is None:
        db.session.commit()  # the failure counts for the account
        raise Unauthorized(_("Неверный адрес или пароль."))
    raw, token = issue_token(user, timedelta(seconds=current_app.config["API_TOKEN_TTL_SECONDS"]))
    db.session.commit()
    return json_response(TokenOut(token=raw, expires_at=token.expires_at))


@api.delete("/auth/token", responses={204: None, **problems(401)}, security=BEARER_SECURITY)
def delete_token() -> Response:
    """Revoke the bearer token this request carries."""
    header = request.headers.get("Authorization", "")
    raw = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if not raw or not revoke_token(raw):
        raise Unauthorized(_("Токен не найден или уже отозван."))
    db.session.commit()
    return Response(status=204)


@api.post(
    "/auth/verification",
    responses={202: CodeSentOut, **problems(401, 403, 409)},
    security=BEARER_SECURITY,
)
@limiter.limit(limits.code_limit, methods=["POST"], key_func=limits.user_key)
def send_code() -> Response:
    """Send a one-time code to the e-mail on file, through the outbox."""
    user = require_user(active=False)
    row = send_verification_code(
        user, timedelta(seconds=current_app.config["VERIFICATION_CODE_TTL_SECONDS"])
    )
    db.session.commit()
    return json_response(CodeSentOut(sent=True, expires_at=row.expires_at), 202)


@api.post(
    "/auth/verification/confirm",
    responses={200: UserOut, **problems(401, 409)},
    security=BEARER_SECURITY,
)
@limiter.limit(limits.login_limit, methods=["POST"], key_func=limits.user_key)
def confirm_code(body: CodeIn) -> Response:
    """Confirm the code: the account becomes verified and may vote."""
    user = require_user(active=False)
    confirm_verification(user, body.code)
    db.session.commit()
    return json_response(UserOut.of(user))


@api.get("/me", responses={200: UserOut, **problems(401)}, security=BEARER_SECURITY)
def me() -> Response:
    """The signed-in user's profile, roles, district, okrug, verification and points."""
    return json_response(UserOut.of(require_user(active=False)))


@api.get("/districts", responses={200: DistrictsOut})
def districts() -> Response:
    """Moscow's 12 administrative okrugs with their districts and settlements."""
    items = [
        OkrugOut(
            code=o.code,
            abbrev=o.abbrev,
            name=o.name,
            okato=o.okato,
            districts=[{"code": d.code, "name": d.name, "kind": d.kind} for d in o.districts],  # type: ignore[misc]
        )
        for o in list_okrugs()
    ]
    return json_response(DistrictsOut(items=items))
