"""The application factory: the composition root that knows every package."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from flask_openapi3 import Info, OpenAPI
from werkzeug.exceptions import NotFound

from app.api import SECURITY_SCHEMES, init_api
from app.config import Config, engine_options
from app.db import MAX_ID
from app.errors import register_error_handlers, validation_problem
from app.extensions import bootstrap, csrf, db, limiter, migrate
from app.i18n import init_i18n
from app.keys import settle_keys
from app.pool import drop_connections_closed_by_server
from app.proxies import init_trusted_proxies
from app.request_log import configure_logging, init_request_log
from app.security_headers import init_https_redirect, init_security_headers
from app.sessions import CookieSessionInterface
from app.templating import init_templating
from app.transactions import init_session_teardown


def create_app(overrides: dict[str, Any] | None = None) -> OpenAPI:
    """Build the app from the environment (`Config`), then apply `overrides` (tests)."""
    settings = Config().as_dict()
    settings.update(overrides or {})
    settle_keys(settings)
    settings.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", engine_options(str(settings["SQLALCHEMY_DATABASE_URI"]))
    )
    app = OpenAPI(
        __name__,
        info=Info(title="Гражданин: API платформы участия", version="1.0.0"),
        security_schemes=SECURITY_SCHEMES,
        validation_error_status=422,
        validation_error_callback=validation_problem,
        doc_ui=False,
        instance_path=str(settings["INSTANCE_PATH"]),
    )
    app.config.update(settings)
    app.session_interface = CookieSessionInterface()
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Russian text as-is
    _configure_logging(app)
    _prepare_instance(app)
    _register_extensions(app)
    _register_blueprints(app)
    _register_commands(app)
    register_error_handlers(app)
    app.url_value_preprocessor(_refuse_ids_out_of_range)
    init_security_headers(app)  # its middleware wraps voting's express lane too
    init_trusted_proxies(app)  # last: the client's address is settled before anything runs
    return app


def _refuse_ids_out_of_range(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """An id in the URL beyond what the database stores names nothing: 404 on every route."""
    for value in (values or {}).values():
        if isinstance(value, int) and not 0 < value <= MAX_ID:
            raise NotFound()


def _configure_logging(app: OpenAPI) -> None:
    configure_logging(str(app.config["LOG_LEVEL"]), str(app.config["LOG_FORMAT"]))
    init_request_log(app)


def _prepare_instance(app: OpenAPI) -> None:
    uri = str(app.config["SQLALCHEMY_DATABASE_URI"])
    if uri.startswith("sqlite:///") and ":memory:" not in uri:
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def _register_extensions(app: OpenAPI) -> None:
    from app.auth.login import init_login
    from app.jobs.backends import init_jobs

    db.init_app(app)
    with app.app_context():
        drop_connections_closed_by_server(db.engine)
    init_session_teardown(app)
    migrate.init_app(
        app,
        db,
        directory=str(Path(app.root_path).parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    bootstrap.init_app(app)
    init_https_redirect(app)
    init_i18n(app)
    init_login(app)
    init_jobs(app)
    init_templating(app)
    _import_models()


# Every module that defines tables, so that metadata (and Alembic) knows all of them.
MODEL_MODULES = (
    "app.auth.models",
    "app.jobs.models",
    "app.notifications.models",
    "app.points.models",
    "ideas.models",
    "ideas.clustering.models",
    "ideas.review.models",
    "moderation.models",
    "voting.models",
)


def _import_models() -> None:
    for module in MODEL_MODULES:
        importlib.import_module(module)


def _register_blueprints(app: OpenAPI) -> None:
    from app import main
    from app.auth import api as auth_api
    from app.auth import views as auth_views

    init_api(app)
    app.register_blueprint(main.bp)
    app.register_blueprint(auth_views.bp)
    app.register_api(auth_api.api)
    _init_domain_packages(app)


def _init_domain_packages(app: OpenAPI) -> None:
    """Each domain package registers its blueprints, API, commands, demo step and links."""
    import ideas
    import moderation
    import voting

    ideas.init_app(app)
    moderation.init_app(app)
    voting.init_app(app)


def _register_commands(app: OpenAPI) -> None:
    from app.auth.cli import users_cli
    from app.demo import demo_command
    from app.jobs.cli import worker_command

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(worker_command)
