"""`flask ideas import FILE.csv --project ID`: load ideas gathered elsewhere."""

from __future__ import annotations

import csv
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.errors import DomainError
from app.extensions import db
from ideas import services
from ideas.models import IdeaStatus, Project

ideas_cli = click.Group("ideas", help="Crowdsourcing projects and ideas.")


@ideas_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--project", "project_id", type=int, required=True, help="Project id.")
@click.option(
    "--status",
    type=click.Choice([IdeaStatus.PUBLISHED.value, IdeaStatus.PENDING.value]),
    default=IdeaStatus.PUBLISHED.value,
    show_default=True,
)
@with_appcontext
def import_command(file: Path, project_id: int, status: str) -> None:
    """Import ideas from a UTF-8 CSV with columns title, body, section[, author].

    `section` is a section title or id of the project. All rows load or none do.
    """
    project = db.session.get(Project, project_id)
    if project is None:
        raise click.ClickException(f"no project {project_id}")
    with file.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"title", "body", "section"} - set(reader.fieldnames or ())
        if missing:
            raise click.ClickException(f"missing columns: {', '.join(sorted(missing))}")
        rows = [
            services.ImportedIdea(
                row.get("title"), row.get("body"), row.get("section"), row.get("author")
            )
            for row in reader
        ]
    try:
        ideas = services.import_ideas(project, rows, None, IdeaStatus(status))
    except DomainError as error:
        db.session.rollback()
        lines = [f"  row {key}: {' '.join(msgs)}" for key, msgs in (error.errors or {}).items()]
        raise click.ClickException("\n".join([error.detail or "invalid", *lines[:50]])) from None
    db.session.commit()
    click.echo(f"Imported {len(ideas)} ideas into project {project.id}.")
