"""JSON shapes of the projects and ideas API (documented in the OpenAPI file).

Request bodies take text as it comes (sizes here only stop absurd payloads early); the
services apply the real rules, so the API and the pages refuse the same things the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from app.api import PageQuery, StrictModel
from ideas.models import (
    Comment,
    CommentStatus,
    IdeaStatus,
    ModerationMode,
    Project,
    ProjectStage,
)
from ideas.services import ProjectCounts, ThreadPlace
from ideas.validation import COMMENT_MAX_DEPTH

_TEXT_CAP = 100_000  # far above every rule; bigger bodies are refused before any work


class ProjectPath(BaseModel):
    project_id: int


class IdeaPath(BaseModel):
    idea_id: int


class CommentPath(BaseModel):
    comment_id: int


class ProjectIn(StrictModel):
    title: str = Field(max_length=_TEXT_CAP, examples=["Мой офис госуслуг. Создай центр будущего!"])
    description: str = Field("", max_length=_TEXT_CAP)
    sections: list[str] = Field(
        min_length=1, max_length=100, examples=[["Очереди и запись", "Доступная среда"]]
    )
    stage: ProjectStage = ProjectStage.DRAFT
    moderation: ModerationMode = ModerationMode.POST
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None


class ProjectPatch(StrictModel):
    title: str | None = Field(None, max_length=_TEXT_CAP)
    description: str | None = Field(None, max_length=_TEXT_CAP)
    sections: list[str] | None = Field(None, min_length=1, max_length=100)
    stage: ProjectStage | None = None
    moderation: ModerationMode | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None


class SectionOut(BaseModel):
    id: int
    title: str


class CountsOut(BaseModel):
    participants: int
    ideas: int
    comments: int
    supports: int


class ProjectOut(BaseModel):
    id: int
    title: str
    description: str
    stage: ProjectStage
    moderation: ModerationMode
    starts_at: datetime | None
    ends_at: datetime | None
    sections: list[SectionOut]
    counts: CountsOut
    created_at: datetime

    @classmethod
    def of(cls, project: Project, counts: ProjectCounts) -> ProjectOut:
        return cls(
            id=project.id,
            title=project.title,
            description=project.description,
            stage=project.stage,
            moderation=project.moderation,
            starts_at=project.starts_at,
            ends_at=project.ends_at,
            sections=[SectionOut(id=s.id, title=s.title) for s in project.sections],
            counts=CountsOut(**counts.__dict__),
            created_at=project.created_at,
        )


class ProjectPage(BaseModel):
    items: list[ProjectOut]
    page: int
    per_page: int
    total: int


class IdeaListQuery(PageQuery):
    q: str | None = Field(None, max_length=200, description="Search, aware of Russian morphology")
    section: int | None = Field(None, ge=1, le=2**31 - 1, description="Section id")
    status: IdeaStatus | None = None
    sort: Literal["new", "top", "discussed"] = "new"


class SimilarQuery(BaseModel):
    text: str = Field(max_length=10_000)
    limit: int = Field(5, ge=1, le=20)


class IdeaIn(StrictModel):
    title: str = Field(max_length=_TEXT_CAP, examples=["Электронная очередь с СМС-напоминанием"])
    body: str = Field(max_length=_TEXT_CAP)
    section: int = Field(description="Section id of this project")


class IdeaPatch(StrictModel):
    title: str | None = Field(None, max_length=_TEXT_CAP)
    body: str | None = Field(None, max_length=_TEXT_CAP)
    section: int | None = None


class AuthorOut(BaseModel):
    id: int | None
    display_name: str


class IdeaOut(BaseModel):
    id: int
    project_id: int
    title: str
    body: str
    section: SectionOut
    author: AuthorOut
    status: IdeaStatus
    support_count: int
    comment_count: int
    merged_into: int | None
    supported_by_me: bool | None = None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


class StatusChangeOut(BaseModel):
    from_status: IdeaStatus | None
    to_status: IdeaStatus
    note: str | None
    at: datetime


class MergedIdeaOut(BaseModel):
    id: int
    title: str


class IdeaDetailOut(IdeaOut):
    history: list[StatusChangeOut] = []
    merged_ideas: list[MergedIdeaOut] = Field(
        [], description="Ideas merged into this one (directly or through each other)"
    )
    coauthors: list[AuthorOut] = Field(
        [], description="Authors of the merged ideas, other than this idea's author"
    )


class IdeaPage(BaseModel):
    items: list[IdeaOut]
    page: int
    per_page: int
    total: int


class SimilarOut(BaseModel):
    id: int
    title: str
    status: IdeaStatus
    support_count: int
    score: float = Field(ge=0, le=1)


class SimilarList(BaseModel):
    items: list[SimilarOut]


class SupportOut(BaseModel):
    idea_id: int
    supported: bool
    support_count: int


class CommentIn(StrictModel):
    body: str = Field(max_length=_TEXT_CAP)
    parent_id: int | None = None


class CommentOut(BaseModel):
    id: int
    idea_id: int
    parent_id: int | None = Field(
        description="the comment this one is shown under (null: on the idea itself); a reply "
        "to a comment at the deepest level is placed beside it"
    )
    level: int = Field(ge=1, le=COMMENT_MAX_DEPTH, description="1 for comments on the idea")
    author: AuthorOut
    body: str | None = Field(
        description="null when hidden or waiting for a moderator (its author still sees it)"
    )
    status: CommentStatus
    created_at: datetime

    @classmethod
    def of(cls, comment: Comment, place: ThreadPlace, viewer_id: int | None = None) -> CommentOut:
        visible = comment.status is CommentStatus.PUBLISHED or (
            comment.status is CommentStatus.PENDING and viewer_id == comment.author_id
        )
        return cls(
            id=comment.id,
            idea_id=comment.idea_id,
            parent_id=place.parent_id,
            level=place.level,
            author=AuthorOut(id=comment.author_id, display_name=comment.author.display_name),
            body=comment.body if visible else None,
            status=comment.status,
            created_at=comment.created_at,
        )


class CommentPage(BaseModel):
    items: list[CommentOut]
    page: int
    per_page: int
    total: int


class FlagIn(StrictModel):
    reason: str = Field(max_length=_TEXT_CAP, examples=["Оскорбления в тексте"])


class FlagOut(BaseModel):
    id: int
    target_type: str
    target_id: int
    reason: str
    created_at: datetime


class ImportRow(StrictModel):
    title: str = Field(max_length=_TEXT_CAP)
    body: str = Field(max_length=_TEXT_CAP)
    section: int | str = Field(description="Section id or title")
    author_name: str | None = Field(None, max_length=80)


class ImportIn(StrictModel):
    ideas: list[ImportRow] = Field(min_length=1, max_length=5000)
    status: Literal["pending", "published"] = "published"


class ImportOut(BaseModel):
    imported: int
    ids: list[int]
