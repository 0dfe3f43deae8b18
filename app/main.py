"""Site-wide pages: home, language switch, health check."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, redirect, render_template, request, session, url_for
from sqlalchemy import text

from app.auth.views import safe_next
from app.extensions import db
from app.i18n import SUPPORTED

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> str:
    return render_template("index.html")


@bp.post("/language")
def set_language() -> Response:
    """Remember the chosen interface language (ru or en) for this browser."""
    lang = request.form.get("lang", "")
    if lang in SUPPORTED:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next"), url_for("main.index")))


@bp.get("/healthz")
def health() -> tuple[Response, int]:
    """Liveness and database reachability, for load balancers and monitoring."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return jsonify(status="unavailable", database="down"), 503
    return jsonify(status="ok", database="up"), 200
