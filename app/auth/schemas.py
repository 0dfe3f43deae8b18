"""JSON shapes of the accounts API (documented in the OpenAPI file)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.api import StrictModel
from app.auth.models import User
from app.points.services import get_balance


class RegisterIn(StrictModel):
    email: str = Field(max_length=254, examples=["ivan@example.ru"])
    password: str = Field(max_length=1024)
    display_name: str = Field(max_length=200, examples=["Иван П."])
    district: str = Field(
        max_length=100,
        description="District code or name from GET /districts",
        examples=["khamovniki"],
    )


class TokenIn(StrictModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class TokenOut(BaseModel):
    token: str
    expires_at: datetime


class CodeIn(StrictModel):
    code: str = Field(max_length=20, examples=["123456"])


class CodeSentOut(BaseModel):
    sent: bool
    expires_at: datetime


class UserOut(BaseModel):
    id: int
    email: str
    display_name: str
    roles: list[str]
    district: str | None
    district_name: str | None
    okrug: str | None
    verified: bool
    blocked: bool
    points: int
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            roles=sorted(role.value for role in user.roles),
            district=user.district_code,
            district_name=user.district_name,
            okrug=user.okrug_code,
            verified=user.is_verified,
            blocked=user.is_blocked,
            points=get_balance(user.id),
            created_at=user.created_at,
        )


class DistrictOut(BaseModel):
    code: str
    name: str
    kind: str


class OkrugOut(BaseModel):
    code: str
    abbrev: str
    name: str
    okato: str | None
    districts: list[DistrictOut]


class DistrictsOut(BaseModel):
    items: list[OkrugOut]
