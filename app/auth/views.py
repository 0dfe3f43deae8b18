"""Account pages: register, sign in and out, verify, profile, notifications."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user
from werkzeug.wrappers import Response

from app.auth import limits
from app.auth.forms import ActionForm, CodeForm, LoginForm, RegistrationForm
from app.auth.permissions import require_user
from app.auth.services import (
    authenticate,
    confirm_verification,
    end_all_sessions,
    register_user,
    send_verification_code,
)
from app.errors import DomainError, TooManyAttempts
from app.extensions import db, limiter
from app.notifications.services import list_inbox, mark_all_read
from app.points.services import get_balance, list_entries

bp = Blueprint("auth", __name__)


def safe_next(target: str | None, fallback: str) -> str:
    """Only same-site relative paths are followed after sign-in (no open redirect)."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return fallback
    return target


def attach_errors(form: object, error: DomainError) -> None:
    """Show a service's field errors next to the form's fields."""
    for name, messages in (error.errors or {}).items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(messages)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(limits.register_limit, methods=["POST"])
def register() -> Response | tuple[str, int] | str:
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            user = register_user(
                form.email.data, form.password.data, form.display_name.data, form.district.data
            )
            send_verification_code(
                user, timedelta(seconds=current_app.config["VERIFICATION_CODE_TTL_SECONDS"])
            )
        except DomainError as error:
            db.session.rollback()
            attach_errors(form, error)
            return render_template("auth/register.html", form=form), error.status
        db.session.commit()
        session.permanent = True
        login_user(user)
        flash(
            _("Аккаунт создан. Мы отправили код подтверждения на %(email)s.", email=user.email),
            "success",
        )
        return redirect(url_for("auth.verify"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(limits.login_limit, methods=["POST"], deduct_when=limits.failed)
def login() -> Response | tuple[str, int, dict[str, str]] | tuple[str, int] | str:
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data)
        except TooManyAttempts as refused:
            form.email.errors = [str(refused.detail)]
            retry = {"Retry-After": str(refused.retry_after)}
            return render_template("auth/login.html", form=form), refused.status, retry
        if user is None:
            db.session.commit()  # the failure counts for the account
            form.password.errors = [_("Неверный адрес или пароль.")]
            return render_template("auth/login.html", form=form), 401
        db.session.commit()
        session.permanent = True  # the cookie ends after SESSION_LIFETIME_SECONDS
        login_user(user)
        flash(_("Вы вошли как %(name)s.", name=user.display_name), "success")
        return redirect(safe_next(request.args.get("next"), url_for("main.index")))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout() -> Response:
    if ActionForm().validate_on_submit():
        logout_user()
        flash(_("Вы вышли из системы."), "info")
    return redirect(url_for("main.index"))


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere() -> Response:
    user = require_user(active=False)
    if ActionForm().validate_on_submit():
        end_all_sessions(user)
        db.session.commit()
        logout_user()
        flash(_("Все сеансы и токены завершены."), "info")
    return redirect(url_for("main.index"))


@bp.route("/account/verify", methods=["GET", "POST"])
@login_required
@limiter.limit(limits.login_limit, methods=["POST"], key_func=limits.user_key)
def verify() -> Response | tuple[str, int] | str:
    user = require_user(active=False)
    form = CodeForm()
    if user.is_verified:
        return redirect(url_for("auth.account"))
    if form.validate_on_submit():
        try:
            confirm_verification(user, form.code.data)
        except DomainError as error:
            db.session.rollback()
            attach_errors(form, error)
            return render_template("auth/verify.html", form=form, resend=ActionForm()), error.status
        db.session.commit()
        flash(_("Аккаунт подтверждён. Теперь вы можете предлагать идеи и голосовать."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/verify.html", form=form, resend=ActionForm())


@bp.post("/account/verify/send")
@login_required
@limiter.limit(limits.code_limit, key_func=limits.user_key)
def send_code() -> Response:
    user = require_user(active=False)
    if ActionForm().validate_on_submit():
        send_verification_code(
            user, timedelta(seconds=current_app.config["VERIFICATION_CODE_TTL_SECONDS"])
        )
        db.session.commit()
        flash(_("Новый код отправлен на %(email)s.", email=user.email), "success")
    return redirect(url_for("auth.verify"))


@bp.get("/account")
@login_required
def account() -> str:
    user = require_user(active=False)
    return render_template(
        "auth/account.html",
        user=user,
        points=get_balance(user.id),
        entries=list_entries(user.id, limit=20),
        action=ActionForm(),
    )


@bp.get("/notifications")
@login_required
def notifications() -> str:
    user = require_user(active=False)
    items = list_inbox(user)
    page = render_template("auth/notifications.html", items=items)
    mark_all_read(user)
    db.session.commit()
    return page
