"""`flask demo`: fill an empty database with demo accounts and, through steps that domain
packages register, demo projects and polls. Safe to run twice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app.auth.models import Role, User
from app.auth.services import get_user_by_email, register_user
from app.extensions import db

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 (published demo credentials, printed on purpose)


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    roles: tuple[Role, ...]
    district: str


DEMO_ACCOUNTS = (
    DemoAccount("admin@demo.mos", "Администратор", (Role.ADMIN,), "tverskoy"),
    DemoAccount("staff@demo.mos", "Сотрудник ДИТ", (Role.STAFF,), "presnenskiy"),
    DemoAccount("moderator@demo.mos", "Модератор", (Role.MODERATOR,), "basmannyy"),
    DemoAccount("expert1@demo.mos", "Эксперт Анна", (Role.EXPERT,), "khamovniki"),
    DemoAccount("expert2@demo.mos", "Эксперт Борис", (Role.EXPERT,), "arbat"),
    DemoAccount("resident@demo.mos", "Житель Иван", (), "marino"),
)

DemoStep = Callable[[Callable[[float, str], None]], None]
_STEPS: list[tuple[int, str, DemoStep]] = []


def register_demo_step(order: int, name: str, step: DemoStep) -> None:
    """Domain packages add their demo content; steps run in `order`, each idempotent."""
    if all(existing[1] != name for existing in _STEPS):
        _STEPS.append((order, name, step))


def ensure_demo_accounts() -> list[User]:
    users = []
    for account in DEMO_ACCOUNTS:
        user = get_user_by_email(account.email)
        if user is None:
            user = register_user(
                account.email,
                DEMO_PASSWORD,
                account.name,
                account.district,
                roles=account.roles,
                verified=True,
            )
        users.append(user)
    db.session.commit()
    return users


def _progress_printer(name: str) -> Callable[[float, str], None]:
    def report(fraction: float, message: str) -> None:
        width = 30
        filled = int(width * max(0.0, min(1.0, fraction)))
        bar = "#" * filled + "." * (width - filled)
        click.echo(f"\r  {name}: [{bar}] {fraction:5.0%} {message[:40]:<40}", nl=fraction >= 1.0)

    return report


def print_logins() -> None:
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for account in DEMO_ACCOUNTS:
        roles = ", ".join(r.value for r in account.roles) or "resident"
        click.echo(f"  {account.email:<22} {roles}")


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing but print the logins if accounts exist.")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Fill the database with demo accounts and content (idempotent)."""
    if if_empty and db.session.scalar(select(User.id).limit(1)) is not None:
        print_logins()
        return
    ensure_demo_accounts()
    for _order, name, step in sorted(_STEPS, key=lambda s: s[0]):
        step(_progress_printer(name))
        db.session.commit()
    print_logins()
