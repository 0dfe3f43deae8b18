"""Projects and ideas over JSON (API.md, «Crowdsourcing projects and ideas»)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_babel import gettext as _

from app.api import BEARER_SECURITY, PageQuery, api_blueprint, json_response, paginate, problems
from app.auth.models import Role
from app.auth.permissions import get_actor, require_user
from app.errors import Invalid
from app.extensions import db
from ideas import services
from ideas.limits import limit_comments
from ideas.models import Comment, FlagTarget, Idea, IdeaStatus, Project
from ideas.schemas import (
    AuthorOut,
    CommentIn,
    CommentOut,
    CommentPage,
    CommentPath,
    FlagIn,
    FlagOut,
    IdeaDetailOut,
    IdeaIn,
    IdeaListQuery,
    IdeaOut,
    IdeaPage,
    IdeaPatch,
    IdeaPath,
    ImportIn,
    ImportOut,
    MergedIdeaOut,
    ProjectIn,
    ProjectOut,
    ProjectPage,
    ProjectPatch,
    ProjectPath,
    SectionOut,
    SimilarList,
    SimilarOut,
    SimilarQuery,
    StatusChangeOut,
    SupportOut,
)

api = api_blueprint(
    "ideas_api", __name__, "ideas", "Crowdsourcing projects, ideas, supports, comments, flags"
)


def project_out(project: Project) -> ProjectOut:
    counts = services.get_project_counts([project.id])[project.id]
    return ProjectOut.of(project, counts)


def idea_out(idea: Idea, supported: bool | None = None, cls: type[IdeaOut] = IdeaOut) -> Any:
    return cls(
        id=idea.id,
        project_id=idea.project_id,
        title=idea.title,
        body=idea.body,
        section=SectionOut(id=idea.section.id, title=idea.section.title),
        author=AuthorOut(id=idea.author_id, display_name=idea.author_display_name),
        status=idea.status,
        support_count=idea.support_count,
        comment_count=idea.comment_count,
        merged_into=idea.merged_into_id,
        supported_by_me=supported,
        created_at=idea.created_at,
        updated_at=idea.updated_at,
        published_at=idea.published_at,
    )


def idea_detail(idea: Idea) -> IdeaDetailOut:
    viewer = get_actor()
    supported = idea.id in services.supported_idea_ids(viewer, [idea.id]) if viewer else None
    detail: IdeaDetailOut = idea_out(idea, supported, IdeaDetailOut)
    detail.history = [
        StatusChangeOut(
            from_status=h.from_status, to_status=h.to_status, note=h.note, at=h.created_at
        )
        for h in services.get_history(idea)
    ]
    merged = services.get_merged_ideas(idea)
    detail.merged_ideas = [MergedIdeaOut(id=m.id, title=m.title) for m in merged]
    detail.coauthors = [
        AuthorOut(id=user_id, display_name=name)
        for user_id, name in services.get_coauthors(idea, merged)
    ]
    return detail


# --- projects ------------------------------------------------------------------------------


@api.get("/projects", responses={200: ProjectPage})
def list_projects(query: PageQuery) -> Response:
    """Projects with their sections, stage, schedule and counts (drafts: staff only)."""
    page = paginate(services.list_projects_query(get_actor()), query, lambda p: p)
    counts = services.get_project_counts([p.id for p in page["items"]])
    page["items"] = [ProjectOut.of(p, counts[p.id]).model_dump(mode="json") for p in page["items"]]
    return json_response(page)


@api.post("/projects", responses={201: ProjectOut, **problems(401, 403)}, security=BEARER_SECURITY)
def create_project(body: ProjectIn) -> Response:
    """Create a project with its sections (staff)."""
    actor = require_user(Role.STAFF)
    project = services.create_project(actor, **body.model_dump())
    db.session.commit()
    return json_response(project_out(project), 201)


@api.get("/projects/<int:project_id>", responses={200: ProjectOut, **problems(404)})
def get_project(path: ProjectPath) -> Response:
    """One project with sections, stage, schedule and counts."""
    return json_response(project_out(services.get_project(path.project_id, get_actor())))


@api.patch(
    "/projects/<int:project_id>",
    responses={200: ProjectOut, **problems(401, 403, 404, 409)},
    security=BEARER_SECURITY,
)
def update_project(path: ProjectPath, body: ProjectPatch) -> Response:
    """Change a project (staff); the stage only moves forward (409 otherwise)."""
    actor = require_user(Role.STAFF)
    project = services.get_project(path.project_id, actor)
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    nulls = [n for n, v in changes.items() if v is None and n not in ("starts_at", "ends_at")]
    if nulls:
        raise Invalid(
            _("Проверьте выделенные поля."), errors={n: [_("Обязательное поле.")] for n in nulls}
        )
    services.update_project(project, actor, **changes)
    db.session.commit()
    return json_response(project_out(project))


# --- ideas ---------------------------------------------------------------------------------


@api.get("/projects/<int:project_id>/ideas", responses={200: IdeaPage, **problems(403, 404)})
def list_ideas(path: ProjectPath, query: IdeaListQuery) -> Response:
    """Published ideas; `q` searches by Russian word forms; filter and sort."""
    viewer = get_actor()
    project = services.get_project(path.project_id, viewer)
    stmt = services.list_ideas_query(
        project, viewer, q=query.q, section_id=query.section, status=query.status, sort=query.sort
    )
    items, total = services.paginate_ideas(stmt, query.page, query.per_page)
    supported = services.supported_idea_ids(viewer, [i.id for i in items])
    page = {
        "items": [
            idea_out(i, (i.id in supported) if viewer else None).model_dump(mode="json")
            for i in items
        ],
        "page": query.page,
        "per_page": query.per_page,
        "total": total,
    }
    return json_response(page)


@api.post(
    "/projects/<int:project_id>/ideas",
    responses={201: IdeaDetailOut, **problems(401, 403, 404, 409)},
    security=BEARER_SECURITY,
)
def submit_idea(path: ProjectPath, body: IdeaIn) -> Response:
    """Submit an idea (verified residents, ideas stage): pending or published by mode."""
    author = require_user(verified=True)
    project = services.get_project(path.project_id, author)
    idea = services.submit_idea(author, project, body.title, body.body, body.section)
    db.session.commit()
    return json_response(idea_detail(idea), 201)


@api.get(
    "/projects/<int:project_id>/ideas/similar",
    responses={200: SimilarList, **problems(404)},
)
def similar_ideas(path: ProjectPath, query: SimilarQuery) -> Response:
    """Up to `limit` published ideas most alike `text`, with a score in [0, 1]."""
    project = services.get_project(path.project_id, get_actor())
    found = services.find_similar(project, query.text, query.limit)
    items = [
        SimilarOut(
            id=idea.id,
            title=idea.title,
            status=idea.status,
            support_count=idea.support_count,
            score=round(score, 4),
        )
        for idea, score in found
    ]
    return json_response(SimilarList(items=items))


@api.post(
    "/projects/<int:project_id>/ideas/import",
    responses={201: ImportOut, **problems(401, 403, 404)},
    security=BEARER_SECURITY,
)
def import_ideas(path: ProjectPath, body: ImportIn) -> Response:
    """Load ideas gathered elsewhere (staff): all rows or none, errors per row."""
    actor = require_user(Role.STAFF)
    project = services.get_project(path.project_id, actor)
    rows = [services.ImportedIdea(r.title, r.body, r.section, r.author_name) for r in body.ideas]
    ideas = services.import_ideas(project, rows, actor, IdeaStatus(body.status))
    db.session.commit()
    return json_response(ImportOut(imported=len(ideas), ids=[i.id for i in ideas]), 201)


@api.get("/ideas/<int:idea_id>", responses={200: IdeaDetailOut, **problems(404)})
def get_idea(path: IdeaPath) -> Response:
    """One idea with author, section, status, counts, `merged_into` and its history."""
    return json_response(idea_detail(services.get_idea(path.idea_id, get_actor())))


@api.patch(
    "/ideas/<int:idea_id>",
    responses={200: IdeaDetailOut, **problems(401, 403, 404, 409)},
    security=BEARER_SECURITY,
)
def edit_idea(path: IdeaPath, body: IdeaPatch) -> Response:
    """The author edits the idea while it is pending."""
    actor = require_user()
    idea = services.get_idea(path.idea_id, actor)
    services.edit_idea(idea, actor, title=body.title, body=body.body, section_id=body.section)
    db.session.commit()
    return json_response(idea_detail(idea))


@api.delete(
    "/ideas/<int:idea_id>",
    responses={204: None, **problems(401, 403, 404)},
    security=BEARER_SECURITY,
)
def delete_idea(path: IdeaPath) -> Response:
    """The author withdraws the idea, or a moderator hides it (status `hidden`, history kept)."""
    actor = require_user()
    idea = services.get_idea(path.idea_id, actor)
    services.withdraw_idea(idea, actor)
    db.session.commit()
    return Response(status=204)


# --- supports, comments, flags -------------------------------------------------------------


@api.post(
    "/ideas/<int:idea_id>/support",
    responses={201: SupportOut, **problems(401, 403, 404, 409)},
    security=BEARER_SECURITY,
)
def support(path: IdeaPath) -> Response:
    """Support an idea: one per person (409 on a second)."""
    user = require_user(verified=True)
    idea = services.get_idea(path.idea_id, user)
    services.support_idea(user, idea)
    db.session.commit()
    return json_response(
        SupportOut(idea_id=idea.id, supported=True, support_count=idea.support_count), 201
    )


@api.delete(
    "/ideas/<int:idea_id>/support",
    responses={200: SupportOut, **problems(401, 403, 404, 409)},
    security=BEARER_SECURITY,
)
def withdraw_support(path: IdeaPath) -> Response:
    """Withdraw one's support (404 if there was none)."""
    user = require_user(verified=True)
    idea = services.get_idea(path.idea_id, user)
    services.withdraw_support(user, idea)
    db.session.commit()
    return json_response(
        SupportOut(idea_id=idea.id, supported=False, support_count=idea.support_count)
    )


@api.get("/ideas/<int:idea_id>/comments", responses={200: CommentPage, **problems(404)})
def list_comments(path: IdeaPath, query: PageQuery) -> Response:
    """Comments oldest first, each with `parent_id` and `level` so clients can build the
    threads (never deeper than the depth limit, even for chains written before it)."""
    viewer = get_actor()
    idea = services.get_idea(path.idea_id, viewer)
    places: dict[int, services.ThreadPlace] = {}

    def serialize(comment: Comment) -> dict[str, Any]:
        if comment.id not in places:  # read after the page, so it places every listed comment
            places.update(services.get_comment_places(idea))
        out = CommentOut.of(comment, places[comment.id], viewer.id if viewer else None)
        return out.model_dump(mode="json")

    page = paginate(services.list_comments_query(idea), query, serialize)
    return json_response(page)


@api.post(
    "/ideas/<int:idea_id>/comments",
    responses={201: CommentOut, **problems(401, 403, 404, 409)},
    security=BEARER_SECURITY,
)
@limit_comments()
def add_comment(path: IdeaPath, body: CommentIn) -> Response:
    """Comment on an idea or reply to a comment (verified residents)."""
    user = require_user(verified=True)
    idea = services.get_idea(path.idea_id, user)
    comment = services.add_comment(user, idea, body.body, body.parent_id)
    place = services.get_comment_places(idea)[comment.id]
    db.session.commit()
    return json_response(CommentOut.of(comment, place, user.id), 201)


def _flag_out(row: Any) -> FlagOut:
    return FlagOut(
        id=row.id,
        target_type=row.target_type.value,
        target_id=row.target_id,
        reason=row.reason,
        created_at=row.created_at,
    )


@api.post(
    "/ideas/<int:idea_id>/flags",
    responses={201: FlagOut, **problems(401, 403, 404, 409)},
    security=BEARER_SECURITY,
)
def flag_idea(path: IdeaPath, body: FlagIn) -> Response:
    """Report an idea to the moderators: one report per person (409 on a second)."""
    user = require_user()
    idea = services.get_idea(path.idea_id, user)
    row = services.flag(user, FlagTarget.IDEA, idea.id, body.reason)
    db.session.commit()
    return json_response(_flag_out(row), 201)


@api.post(
    "/comments/<int:comment_id>/flags",
    responses={201: FlagOut, **problems(401, 403, 404, 409)},
    security=BEARER_SECURITY,
)
def flag_comment(path: CommentPath, body: FlagIn) -> Response:
    """Report a comment to the moderators: one report per person (409 on a second)."""
    user = require_user()
    comment = services.get_comment(path.comment_id, user)
    row = services.flag(user, FlagTarget.COMMENT, comment.id, body.reason)
    db.session.commit()
    return json_response(_flag_out(row), 201)
