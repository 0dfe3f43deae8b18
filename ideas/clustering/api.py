"""Clustering runs over JSON."""

from __future__ import annotations

from flask import Response
from flask_babel import gettext as _

from app.api import BEARER_SECURITY, api_blueprint, json_response, problems
from app.auth.models import Role
from app.auth.permissions import require_user
from app.errors import NotFound
from app.extensions import db
from ideas.clustering import services
from ideas.clustering.models import ClusteringRun, RunStatus
from ideas.clustering.schemas import (
    ClusterOut,
    ClusterPath,
    CoverageOut,
    ProjectPath,
    RenameIn,
    RunOut,
    RunPath,
    StartedOut,
    StartIn,
    run_out,
)
from ideas.models import Project

api = api_blueprint(
    "clustering_api", __name__, "clustering", "Clustering runs for expert selection"
)
SECURED = {"security": BEARER_SECURITY}
READERS = (Role.STAFF, Role.EXPERT)


def get_project(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound(_("Проект не найден."))
    return project


def full_run(run: ClusteringRun) -> RunOut:
    done = run.status is RunStatus.DONE
    coverage = None
    if done:
        found = services.coverage(run)
        coverage = CoverageOut(
            seen=found.seen,
            placed=found.placed,
            complete=found.complete,
            published_now=found.published_now,
            missing_now=found.missing_now,
        )
    members = services.member_ids(run) if done else {}
    duplicates = services.duplicate_groups(run) if done else []
    return run_out(run, members, duplicates, coverage)


@api.post(
    "/projects/<int:project_id>/clusterings",
    responses={202: StartedOut, **problems(401, 403, 404)},
    **SECURED,
)
def start(path: ProjectPath, body: StartIn) -> Response:
    """Start a run over the project's published ideas (a background job)."""
    user = require_user(*READERS)
    run = services.start_run(get_project(path.project_id), user, body.k, body.seed)
    db.session.commit()
    return json_response(StartedOut(id=run.id, status=run.status.value), 202)


@api.get("/clusterings/<int:run_id>", responses={200: RunOut, **problems(401, 403, 404)}, **SECURED)
def show(path: RunPath) -> Response:
    """A run: status and progress while it works; clusters, duplicates and coverage when done."""
    require_user(*READERS)
    return json_response(full_run(services.get_run(path.run_id)))


@api.get(
    "/projects/<int:project_id>/clusterings/latest",
    responses={200: RunOut, **problems(401, 403, 404)},
    **SECURED,
)
def latest(path: ProjectPath) -> Response:
    """The newest finished run of the project."""
    require_user(*READERS)
    return json_response(full_run(services.latest_done_run(get_project(path.project_id))))


@api.patch(
    "/clusterings/<int:run_id>/clusters/<int:cluster_id>",
    responses={200: ClusterOut, **problems(401, 403, 404)},
    **SECURED,
)
def rename(path: ClusterPath, body: RenameIn) -> Response:
    """Give a cluster a person's name (empty: back to the automatic label)."""
    require_user(*READERS)
    run = services.get_run(path.run_id)
    cluster = services.rename_cluster(services.get_cluster(run, path.cluster_id), body.label)
    db.session.commit()
    ids = services.member_ids(run).get(cluster.id, [])
    return json_response(
        ClusterOut(
            id=cluster.id,
            label=cluster.display_label,
            auto_label=cluster.label,
            terms=cluster.terms,
            size=cluster.size,
            support=cluster.support,
            representative_idea_id=cluster.representative_idea_id,
            representative_idea_ids=cluster.representative_ids,
            idea_ids=ids,
        )
    )
