"""Migrations build the schema from empty, and it matches the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db

# The same filter as `include_object` in migrations/env.py: the search objects (FTS5 table on
# SQLite, GIN expression index on PostgreSQL) are made by hand in migrations, not in models.
NOT_IN_MODELS_PREFIXES = ("ideas_fts",)


def include_object(obj, name, type_, reflected, compare_to):
    return not (reflected and name and name.startswith(NOT_IN_MODELS_PREFIXES))


def test_migrated_schema_matches_models(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_upgrade_from_empty_database(tmp_path):
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from tests.conftest import BASE_CONFIG

    application = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"}
    )
    with application.app_context():
        upgrade()
        assert "users" in db.inspect(db.engine).get_table_names()
        downgrade(revision="base")
        assert "users" not in db.inspect(db.engine).get_table_names()
        db.engine.dispose()
