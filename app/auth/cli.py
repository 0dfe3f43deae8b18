"""`flask users …`: operator commands for accounts."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.auth.models import Role
from app.auth.services import get_user_by_email, register_user, set_roles
from app.errors import DomainError
from app.extensions import db

users_cli = AppGroup("users", help="Manage accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([r.value for r in Role]),
    help="May be given several times.",
)
@click.option("--verified", is_flag=True, help="Mark the account verified (may vote).")
@click.option("--district", default="tverskoy", show_default=True, help="District code or name.")
@click.option(
    "--name", "display_name", default=None, help="Display name (default: the e-mail's local part)."
)
def create_user(
    email: str,
    password: str,
    roles: tuple[str, ...],
    verified: bool,
    district: str,
    display_name: str | None,
) -> None:
    """Create an account with roles."""
    try:
        user = register_user(
            email,
            password,
            display_name or email.split("@")[0],
            district,
            roles=tuple(Role(r) for r in roles),
            verified=verified,
        )
    except DomainError as error:
        db.session.rollback()
        details = "; ".join(
            f"{field}: {' '.join(msgs)}" for field, msgs in (error.errors or {}).items()
        )
        raise click.ClickException(f"{error.detail} {details}".strip()) from error
    db.session.commit()
    click.echo(f"created user {user.id} <{user.email}> roles={sorted(r.value for r in user.roles)}")


@users_cli.command("set-roles")
@click.option("--email", required=True)
@click.option("--role", "roles", multiple=True, type=click.Choice([r.value for r in Role]))
def set_user_roles(email: str, roles: tuple[str, ...]) -> None:
    """Replace an account's roles."""
    user = get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    set_roles(user, {Role(r) for r in roles})
    db.session.commit()
    click.echo(f"{user.email}: roles={sorted(r.value for r in user.roles)}")
