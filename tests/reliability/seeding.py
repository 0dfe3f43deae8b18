"""Data for fault tests, made with the app's own services in this process, and the checks
of what the database holds once a fault is over.

`url` is always a SQLAlchemy URL (postgresql+psycopg://...) of a migrated database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask

from tests.reliability.storm import VoteStorm

STAFF_EMAIL = "staff@faults-grazhdanin.ru"


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def app_for(url: str, **settings: Any) -> Flask:
    """The app bound to `url` (jobs in-process unless REDIS_URL is given); `dispose` it after."""
    from app import create_app

    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING", "REDIS_URL": None, **settings}
    )


def dispose(app: Flask) -> None:
    from app.extensions import db

    with app.app_context():
        db.engine.dispose()


@contextmanager
def app_on(url: str) -> Iterator[Flask]:
    """The app bound to `url`, inside an app context; its connections closed afterwards."""
    from app.extensions import db

    app = app_for(url)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def _staff() -> Any:
    from sqlalchemy import select

    from app.auth.models import Role, User
    from app.auth.services import register_user
    from app.extensions import db

    staff = db.session.scalar(select(User).where(User.email == STAFF_EMAIL))
    return staff or register_user(
        STAFF_EMAIL, "faults-pass-2026", "Сотрудник", "arbat", roles=(Role.STAFF,), verified=True
    )


@dataclass
class SeededPoll:
    id: int
    question_id: int
    options: list[int]


def seed_poll(url: str, options: int = 4) -> SeededPoll:
    """An open single-choice poll for everyone, with live results."""
    from app.extensions import db
    from voting.drafting import create_poll
    from voting.services import open_poll

    with app_on(url):
        poll = create_poll(
            _staff(),
            title="Где открыть флагманский офис госуслуг?",
            questions=[
                {
                    "text": "Выберите район",
                    "kind": "single",
                    "options": [f"Вариант {n + 1}" for n in range(options)],
                }
            ],
            results="live",
        )
        open_poll(poll)
        db.session.commit()
        question = poll.questions[0]
        return SeededPoll(poll.id, question.id, [option.id for option in question.options])


def staff_token(url: str) -> str:
    from app.auth.services import issue_token
    from app.extensions import db

    with app_on(url):
        raw, _token = issue_token(_staff(), timedelta(hours=2))
        db.session.commit()
        return raw


def seed_empty_project(url: str) -> int:
    from app.extensions import db
    from ideas.models import Project, ProjectStage, Section

    with app_on(url):
        project = Project(title="Офисы", description="", stage=ProjectStage.EXPERT_REVIEW)
        project.sections = [Section(title="Общее")]
        db.session.add(project)
        db.session.commit()
        return project.id


def seed_project_with_ideas(url: str, ideas: int) -> int:
    """A project with `ideas` published ideas (the demo generator's texts); returns its id."""
    from app.extensions import db
    from ideas.demo.generator import DemoSize, build_demo_project

    size = DemoSize(
        ideas=ideas, residents=500, supports_per_idea=1.0, comments_per_idea=0.1, seed=ideas
    )
    with app_on(url):
        project_id = build_demo_project(size, lambda fraction, message: None, title="Офисы")
        db.session.commit()
        return project_id


def check_votes(
    url: str, poll: SeededPoll, storm: VoteStorm, first_voter_id: int
) -> dict[str, Any]:
    """Compare what voters were told with what the database holds, then close the poll and
    compare its final tally with the ballots. Voter `i` is user `first_voter_id + i`."""
    import psycopg

    from app.extensions import db
    from voting.models import Poll, PollTally
    from voting.services import close_poll
    from voting.verify import receipt_hash

    told = storm.ballots
    with psycopg.connect(libpq_url(url)) as conn:
        participants = {
            row[0] - first_voter_id
            for row in conn.execute(
                "SELECT user_id FROM poll_participations WHERE poll_id = %s", (poll.id,)
            )
        }
        hashes = {
            row[0]
            for row in conn.execute(
                "SELECT receipt_hash FROM poll_ballots WHERE poll_id = %s", (poll.id,)
            )
        }
        without_choice = conn.execute(
            "SELECT count(*) FROM poll_ballots b WHERE b.poll_id = %s AND NOT EXISTS"
            " (SELECT 1 FROM poll_ballot_choices c WHERE c.ballot_id = b.id)",
            (poll.id,),
        ).fetchone()[0]
        choices = dict(
            conn.execute(
                "SELECT option_id, count(*) FROM poll_ballot_choices WHERE poll_id = %s"
                " GROUP BY option_id",
                (poll.id,),
            ).fetchall()
        )
    with app_on(url):
        closed = close_poll(db.session.get_one(Poll, poll.id))
        db.session.commit()
        tally = db.session.get_one(PollTally, closed.id)
        tally_ballots = tally.ballots
        tally_options = {
            int(option): sum(by_okrug.values())
            for option, by_okrug in tally.data["options"].items()
        }
    expected = Counter(storm.choice(voter) for voter in participants)
    told_voters = set(told.receipts) | told.already_voted
    return {
        "voters_attempted": len(told.attempted),
        "receipts_2xx": len(told.receipts),
        "already_voted_409": len(told.already_voted),
        "gave_up": len(told.gave_up),
        "participations": len(participants),
        "ballots": len(hashes),
        "receipts_without_ballot": sum(
            1 for receipt in told.receipts.values() if receipt_hash(receipt) not in hashes
        ),
        "told_voted_without_participation": len(told_voters - participants),
        "participations_of_voters_not_told": len(participants - told_voters),
        "ballots_without_choice": without_choice,
        "choices_match_voters": dict(choices) == dict(expected),
        "tally_ballots": tally_ballots,
        "tally_matches_voters": tally_options == dict(expected),
        "ledger_size": closed.ledger_size,
    }


def assert_consistent(result: dict[str, Any]) -> None:
    """Every voter told 2xx or 409 has exactly one participation with one full ballot;
    nothing else is stored; the tally counts exactly those ballots."""
    assert result["gave_up"] == 0, result
    assert result["receipts_without_ballot"] == 0, result
    assert result["told_voted_without_participation"] == 0, result
    assert result["participations_of_voters_not_told"] == 0, result
    assert result["participations"] == result["ballots"] == result["voters_attempted"], result
    assert result["ballots_without_choice"] == 0, result
    assert result["choices_match_voters"], result
    assert result["tally_ballots"] == result["ballots"] == result["ledger_size"], result
    assert result["tally_matches_voters"], result
