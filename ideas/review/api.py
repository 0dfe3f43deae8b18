"""Expert review, selection, implementation and results over JSON."""

from __future__ import annotations

from flask import Response
from flask_babel import gettext as _
from sqlalchemy import select

from app.api import BEARER_SECURITY, api_blueprint, json_response, problems
from app.auth.models import Role, User
from app.auth.permissions import require_user
from app.errors import Invalid, NotFound
from app.extensions import db
from ideas.models import Idea, Project, Section
from ideas.review import results, reviews, rubric, selection, shortlist
from ideas.review.models import ExpertAssignment, Implementation
from ideas.review.schemas import (
    AssignmentIO,
    AssignmentsIn,
    AssignmentsOut,
    ConflictIn,
    ConflictOut,
    CriterionIO,
    ExportQuery,
    IdeaPath,
    ImplementationIn,
    ImplementationOut,
    ProjectPath,
    PublishedOut,
    ResultsOut,
    ReviewIn,
    ReviewOut,
    ReviewsOut,
    RubricIn,
    RubricOut,
    SelectionIn,
    SelectionOut,
    ShortlistItem,
    ShortlistOut,
    UnopenedCluster,
    UnreviewedItem,
)

api = api_blueprint("review_api", __name__, "review", "Expert review, selection and results")
SECURED = {"security": BEARER_SECURITY}


def get_project(project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None:
        raise NotFound(_("Проект не найден."))
    return project


def get_idea(idea_id: int) -> Idea:
    idea = db.session.get(Idea, idea_id)
    if idea is None:
        raise NotFound(_("Идея не найдена."))
    return idea


def rubric_out(project: Project) -> RubricOut:
    settings = rubric.get_settings(project)
    return RubricOut(
        criteria=[CriterionIO.of(c) for c in rubric.get_rubric(project)],
        score_min=rubric.SCORE_MIN,
        score_max=rubric.SCORE_MAX,
        blind=settings.blind,
        assignments_required=settings.assignments_required,
    )


@api.get(
    "/projects/<int:project_id>/rubric",
    responses={200: RubricOut, **problems(401, 403, 404)},
    **SECURED,
)
def get_rubric(path: ProjectPath) -> Response:
    """The criteria experts score on (each 1..5, with the weights staff set) and the options."""
    require_user(Role.EXPERT, Role.STAFF)
    out = rubric_out(get_project(path.project_id))
    db.session.commit()  # a project's first read stores the default rubric
    return json_response(out)


@api.put(
    "/projects/<int:project_id>/rubric",
    responses={200: RubricOut, **problems(401, 403, 404)},
    **SECURED,
)
def put_rubric(path: ProjectPath, body: RubricIn) -> Response:
    """Staff set the criteria and weights, blind review, and whether assignments bind."""
    require_user(Role.STAFF)
    project = get_project(path.project_id)
    if body.criteria is not None:
        rubric.set_rubric(project, body.criteria)
    settings = rubric.get_settings(project)
    if body.blind is not None:
        settings.blind = body.blind
    if body.assignments_required is not None:
        settings.assignments_required = body.assignments_required
    out = rubric_out(project)
    db.session.commit()
    return json_response(out)


@api.put(
    "/projects/<int:project_id>/experts",
    responses={200: AssignmentsOut, **problems(401, 403, 404)},
    **SECURED,
)
def put_assignments(path: ProjectPath, body: AssignmentsIn) -> Response:
    """Which experts review which sections (section null: the whole project)."""
    require_user(Role.STAFF)
    project = get_project(path.project_id)
    errors: list[str] = []
    for i, item in enumerate(body.assignments):
        expert = db.session.get(User, item.expert_id)
        if expert is None or not expert.has_role(Role.EXPERT):
            errors.append(_("№%(i)s: пользователь %(id)s не эксперт.", i=i + 1, id=item.expert_id))
        section = db.session.get(Section, item.section_id) if item.section_id else None
        if item.section_id and (section is None or section.project_id != project.id):
            errors.append(_("№%(i)s: нет такого раздела в проекте.", i=i + 1))
    if errors:
        raise Invalid(_("Проверьте назначения."), errors={"assignments": errors})
    for old in db.session.scalars(
        select(ExpertAssignment).where(ExpertAssignment.project_id == project.id)
    ):
        db.session.delete(old)
    db.session.flush()
    unique = {(a.expert_id, a.section_id) for a in body.assignments}
    db.session.add_all(
        ExpertAssignment(project_id=project.id, expert_id=e, section_id=s)
        for e, s in sorted(unique, key=str)
    )
    db.session.commit()
    return json_response(
        AssignmentsOut(
            items=[AssignmentIO(expert_id=e, section_id=s) for e, s in sorted(unique, key=str)]
        )
    )


@api.put(
    "/ideas/<int:idea_id>/reviews/mine",
    responses={200: ReviewOut, **problems(401, 403, 404, 409)},
    **SECURED,
)
def put_review(path: IdeaPath, body: ReviewIn) -> Response:
    """Score the idea on the rubric: experts only, never their own idea (403). The review can
    be amended until another expert has scored the idea too; then it is final (409)."""
    expert = require_user()  # who may score is the service's rule, as on the review page
    review = reviews.review_idea(
        expert, get_idea(path.idea_id), body.scores, body.comment, body.shortlist
    )
    db.session.commit()
    return json_response(ReviewOut.of(review))


@api.get(
    "/ideas/<int:idea_id>/reviews",
    responses={200: ReviewsOut, **problems(401, 403, 404)},
    **SECURED,
)
def list_reviews(path: IdeaPath) -> Response:
    """Reviews of an idea; under blind review, others' appear once you have scored it."""
    viewer = require_user(Role.EXPERT, Role.STAFF)
    idea = get_idea(path.idea_id)
    visible = reviews.visible_reviews(viewer, idea)
    hidden = (
        not visible and not viewer.has_role(Role.STAFF) and rubric.get_settings(idea.project).blind
    )
    return json_response(
        ReviewsOut(items=[ReviewOut.of(r) for r in visible], hidden_until_you_score=hidden)
    )


@api.post(
    "/ideas/<int:idea_id>/conflicts",
    responses={201: ConflictOut, **problems(401, 403, 404)},
    **SECURED,
)
def declare_conflict(path: IdeaPath, body: ConflictIn) -> Response:
    """Declare a conflict of interest: you will not review this idea."""
    expert = require_user(Role.EXPERT)
    declared = reviews.declare_conflict(expert, get_idea(path.idea_id), body.note)
    db.session.commit()
    return json_response(ConflictOut(idea_id=declared.idea_id, expert_id=declared.expert_id), 201)


@api.get(
    "/projects/<int:project_id>/shortlist",
    responses={200: ShortlistOut, **problems(401, 403, 404)},
    **SECURED,
)
def get_shortlist(path: ProjectPath) -> Response:
    """Ideas ranked by weighted mean score with review count, spread and experts' agreement."""
    viewer = require_user(Role.EXPERT, Role.STAFF)
    found = shortlist.build_shortlist(get_project(path.project_id), viewer)
    return json_response(
        ShortlistOut(
            items=[
                ShortlistItem(
                    idea_id=r.idea.id,
                    title=r.idea.title,
                    mean=round(r.aggregate.mean, 3),
                    spread=round(r.aggregate.spread, 3),
                    reviews=r.aggregate.reviews,
                    shortlisted_by=r.aggregate.shortlisted_by,
                    status=r.idea.status.value,
                )
                for r in found.ranked
            ],
            agreement=None if found.agreement is None else round(found.agreement, 3),
            experts=found.experts,
            unreviewed_count=found.unreviewed_count,
            unreviewed=[
                UnreviewedItem(idea_id=i.id, title=i.title, supports=i.support_count)
                for i in found.unreviewed
            ],
            clusters_total=found.clusters_total,
            clusters_unopened=[
                UnopenedCluster(id=c.id, label=c.display_label, size=c.size)
                for c in found.clusters_unopened
            ],
        )
    )


@api.post(
    "/projects/<int:project_id>/selection",
    responses={200: SelectionOut, **problems(401, 403, 404, 409)},
    **SECURED,
)
def select_ideas(path: ProjectPath, body: SelectionIn) -> Response:
    """Those ideas become `selected`; the authors of them and of every idea merged or
    clustered into them are notified."""
    staff = require_user(Role.STAFF)
    chosen = selection.select_ideas(staff, get_project(path.project_id), body.idea_ids)
    db.session.commit()
    return json_response(SelectionOut(selected=[i.id for i in chosen]))


def implementation_out(record: Implementation) -> ImplementationOut:
    return ImplementationOut(
        idea_id=record.idea_id,
        status=record.status.value,
        progress=record.progress,
        note=record.note,
        history=[
            {
                "status": u.status.value,
                "progress": u.progress,
                "note": u.note,
                "at": u.created_at.isoformat(),
            }
            for u in record.history
        ],
    )


@api.post(
    "/ideas/<int:idea_id>/implementation",
    responses={200: ImplementationOut, **problems(401, 403, 404, 409)},
    **SECURED,
)
def set_implementation(path: IdeaPath, body: ImplementationIn) -> Response:
    """Where the city stands with a selected idea; the history is kept."""
    staff = require_user(Role.STAFF)
    record = selection.set_implementation(
        staff, get_idea(path.idea_id), body.status, body.progress, body.note
    )
    db.session.commit()
    db.session.refresh(record)
    return json_response(implementation_out(record))


@api.post(
    "/projects/<int:project_id>/publish",
    responses={201: PublishedOut, **problems(401, 403, 404, 409)},
    **SECURED,
)
def publish(path: ProjectPath) -> Response:
    """Publish the results: the results page and open-data exports become public."""
    staff = require_user(Role.STAFF)
    publication = results.publish(staff, get_project(path.project_id))
    db.session.commit()
    return json_response(
        PublishedOut(project_id=publication.project_id, published_at=publication.published_at), 201
    )


@api.get("/projects/<int:project_id>/results", responses={200: ResultsOut, **problems(404)})
def get_results(path: ProjectPath) -> Response:
    """Participation, topics and selected ideas with implementation; after publishing."""
    return json_response(results.results(get_project(path.project_id)))


@api.get(
    "/projects/<int:project_id>/export",
    responses={
        200: {
            "description": "Open data",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        },
        **problems(404),
    },
)
def export(path: ProjectPath, query: ExportQuery) -> Response:
    """Open data (CSV or JSON): ideas, supports by okrug, topics, selection; no personal data."""
    tables = results.export(get_project(path.project_id))
    filename = f"project-{path.project_id}-results.{query.format}"
    if query.format == "csv":
        body, mimetype = results.export_csv(tables), "text/csv"
    else:
        body, mimetype = results.export_json(tables), "application/json"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
