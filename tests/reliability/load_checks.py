"""Consistency checks after a load run: the database against what the clients were told.

Plain SQL on a connection of its own, after gunicorn has stopped. Each check returns a
dict of figures; the test asserts on them and records them. Foreign keys already forbid
most orphans: the orphan queries check that they were never bypassed (and would catch a
migration that dropped one).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

import psycopg

ORPHANS_POLL = {
    "choices_without_ballot": "SELECT count(*) FROM poll_ballot_choices c"
    " LEFT JOIN poll_ballots b ON b.id = c.ballot_id WHERE b.id IS NULL",
    "texts_without_ballot": "SELECT count(*) FROM poll_ballot_texts t"
    " LEFT JOIN poll_ballots b ON b.id = t.ballot_id WHERE b.id IS NULL",
    "ballots_without_poll": "SELECT count(*) FROM poll_ballots b"
    " LEFT JOIN polls p ON p.id = b.poll_id WHERE p.id IS NULL",
    "participations_without_user": "SELECT count(*) FROM poll_participations x"
    " LEFT JOIN users u ON u.id = x.user_id WHERE u.id IS NULL",
}

ORPHANS_IDEAS = {
    "ideas_without_project": "SELECT count(*) FROM ideas i"
    " LEFT JOIN projects p ON p.id = i.project_id WHERE p.id IS NULL",
    "ideas_in_other_projects_section": "SELECT count(*) FROM ideas i"
    " JOIN sections s ON s.id = i.section_id WHERE s.project_id <> i.project_id",
    "supports_without_idea": "SELECT count(*) FROM supports s"
    " LEFT JOIN ideas i ON i.id = s.idea_id WHERE i.id IS NULL",
    "supports_without_user": "SELECT count(*) FROM supports s"
    " LEFT JOIN users u ON u.id = s.user_id WHERE u.id IS NULL",
    "comments_without_idea": "SELECT count(*) FROM comments c"
    " LEFT JOIN ideas i ON i.id = c.idea_id WHERE i.id IS NULL",
    "comments_without_author": "SELECT count(*) FROM comments c"
    " LEFT JOIN users u ON u.id = c.author_id WHERE u.id IS NULL",
}


def _scalar(conn: psycopg.Connection, sql: str, *params: Any) -> int:
    row = conn.execute(sql, params).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _orphans(conn: psycopg.Connection, queries: dict[str, str]) -> dict[str, int]:
    return {name: _scalar(conn, sql) for name, sql in queries.items()}


def poll_consistency(
    url: str,
    poll_id: int,
    accepted: list[list[Any]],
    unanswered: list[int],
    results: dict[str, Any],
) -> dict[str, Any]:
    """Ballots, participations, choices, points and the published tally of one poll, against
    the (user id, receipt) pairs the clients got back with a 201.

    A vote whose client got no answer (a timeout) may or may not have been counted: such
    voters may have a ballot, no one else without a 201 may.
    """
    receipts = {receipt for _user, receipt in accepted}
    voters = Counter(user for user, _receipt in accepted)
    with psycopg.connect(url) as conn:
        ballots = conn.execute(
            "SELECT id, receipt_hash, content FROM poll_ballots WHERE poll_id = %s", (poll_id,)
        ).fetchall()
        choices: dict[str, set[int]] = {}
        for ballot_id, option_id in conn.execute(
            "SELECT ballot_id, option_id FROM poll_ballot_choices WHERE poll_id = %s", (poll_id,)
        ):
            choices.setdefault(ballot_id, set()).add(option_id)
        participants = [
            row[0]
            for row in conn.execute(
                "SELECT user_id FROM poll_participations WHERE poll_id = %s", (poll_id,)
            )
        ]
        sql_votes = dict(
            conn.execute(
                "SELECT option_id, count(*) FROM poll_ballot_choices WHERE poll_id = %s"
                " GROUP BY option_id",
                (poll_id,),
            ).fetchall()
        )
        figures = {
            "ballots": len(ballots),
            "participations": len(participants),
            "duplicate_participations": _scalar(
                conn,
                "SELECT count(*) FROM (SELECT 1 FROM poll_participations WHERE poll_id = %s"
                " GROUP BY user_id HAVING count(*) > 1) d",
                poll_id,
            ),
            "choices_of_other_polls": _scalar(
                conn,
                "SELECT count(*) FROM poll_ballot_choices c"
                " JOIN poll_ballots b ON b.id = c.ballot_id"
                " JOIN poll_options o ON o.id = c.option_id"
                " JOIN poll_questions q ON q.id = o.question_id"
                " WHERE b.poll_id = %s AND (q.poll_id <> b.poll_id OR c.poll_id <> b.poll_id)",
                poll_id,
            ),
            "answers_breaking_rules": _scalar(
                conn,
                "SELECT count(*) FROM (SELECT b.id, q.id AS q, q.kind, q.max_choices,"
                " count(c.option_id) AS n FROM poll_ballots b"
                " JOIN poll_questions q ON q.poll_id = b.poll_id AND q.kind <> 'open'"
                " LEFT JOIN poll_ballot_choices c ON c.ballot_id = b.id AND c.option_id IN"
                " (SELECT id FROM poll_options WHERE question_id = q.id)"
                " WHERE b.poll_id = %s GROUP BY b.id, q.id, q.kind, q.max_choices) per_answer"
                " WHERE n < 1 OR n > max_choices OR (kind = 'single' AND n <> 1)",
                poll_id,
            ),
            "points_entries": _scalar(
                conn,
                "SELECT count(*) FROM points_entries WHERE reason = 'poll_vote'"
                " AND ref_type = 'poll' AND ref_id = %s",
                poll_id,
            ),
            **_orphans(conn, ORPHANS_POLL),
        }
    stored_hashes = {receipt_hash for _id, receipt_hash, _content in ballots}
    content_mismatch = 0
    for ballot_id, _hash, content in ballots:
        chosen = {o for a in json.loads(content)["answers"] for o in a.get("option_ids", [])}
        content_mismatch += chosen != choices.get(ballot_id, set())
    tallied = {o["id"]: o["votes"] for q in results["questions"] for o in q["options"]}
    figures.update(
        {
            "accepted_receipts": len(accepted),
            "unique_receipts": len(receipts),
            "receipts_not_in_ballots": sum(
                hashlib.sha256(r.encode()).hexdigest() not in stored_hashes for r in receipts
            ),
            "voters_accepted_twice": sum(1 for n in voters.values() if n > 1),
            "accepted_voters_without_ballot": len(set(voters) - set(participants)),
            "ballots_of_voters_never_answered": len(set(participants) - set(voters)),
            "ballots_of_voters_refused_or_absent": len(
                set(participants) - set(voters) - set(unanswered)
            ),
            "ballots_without_choices": sum(1 for b in ballots if b[0] not in choices),
            "content_differs_from_choices": content_mismatch,
            "results_ballots": results["ballots"],
            "results_ledger_size": results["ledger_size"],
            "results_options_differing_from_ballots": sum(
                1 for oid, votes in tallied.items() if votes != sql_votes.get(oid, 0)
            ),
        }
    )
    return figures


def ideas_consistency(
    url: str, project_id: int, outcome: dict[str, Any], counts: dict[str, int]
) -> dict[str, Any]:
    """Ideas, supports, comments, counters and participants of one project, against what
    the clients were told (`outcome` of idea_peak) and the project's published counts."""
    ideas = {idea_id: (user, status) for idea_id, user, status in outcome.get("ideas", [])}
    supports = Counter((idea, user) for idea, user in outcome.get("supports", []))
    supports.subtract(Counter((idea, user) for idea, user in outcome.get("withdrawn", [])))
    supported = {pair for pair, n in supports.items() if n > 0}
    comments = {comment_id for comment_id, _idea, _user in outcome.get("comments", [])}
    writers = (
        {user for user, _s in ideas.values()}
        | {user for _i, user in outcome.get("supports", [])}
        | {user for _c, _i, user in outcome.get("comments", [])}
    )
    with psycopg.connect(url) as conn:
        rows = {
            row[0]: (row[1], row[2])
            for row in conn.execute(
                "SELECT id, author_id, status FROM ideas WHERE project_id = %s AND source = 'site'",
                (project_id,),
            )
        }
        stored_supports = [
            tuple(row)
            for row in conn.execute(
                "SELECT s.idea_id, s.user_id FROM supports s JOIN ideas i ON i.id = s.idea_id"
                " WHERE i.project_id = %s",
                (project_id,),
            )
        ]
        stored_comments = {
            row[0]
            for row in conn.execute(
                "SELECT c.id FROM comments c JOIN ideas i ON i.id = c.idea_id"
                " WHERE i.project_id = %s",
                (project_id,),
            )
        }
        participants = {
            row[0]
            for row in conn.execute(
                "SELECT user_id FROM project_participants WHERE project_id = %s", (project_id,)
            )
        }
        figures = {
            "ideas": len(rows),
            "supports": len(stored_supports),
            "comments": len(stored_comments),
            "participants": len(participants),
            "support_counters_wrong": _scalar(
                conn,
                "SELECT count(*) FROM ideas i WHERE i.project_id = %s AND i.support_count <>"
                " (SELECT count(*) FROM supports s WHERE s.idea_id = i.id)",
                project_id,
            ),
            "comment_counters_wrong": _scalar(
                conn,
                "SELECT count(*) FROM ideas i WHERE i.project_id = %s AND i.comment_count <>"
                " (SELECT count(*) FROM comments c WHERE c.idea_id = i.id"
                " AND c.status = 'published')",
                project_id,
            ),
            "published": _scalar(
                conn,
                "SELECT count(*) FROM ideas WHERE project_id = %s"
                " AND status IN ('published', 'selected')",
                project_id,
            ),
            "published_comments": _scalar(
                conn,
                "SELECT count(*) FROM comments c JOIN ideas i ON i.id = c.idea_id"
                " WHERE i.project_id = %s AND c.status = 'published'",
                project_id,
            ),
            **_orphans(conn, ORPHANS_IDEAS),
        }
    figures.update(
        {
            "accepted_ideas": len(ideas),
            "ideas_equal_accepted": rows == {i: (u, s) for i, (u, s) in ideas.items()},
            "accepted_supports_net": len(supported),
            "duplicate_supports": len(stored_supports) - len(set(stored_supports)),
            "supports_equal_accepted": set(stored_supports) == supported,
            "accepted_comments": len(comments),
            "comments_equal_accepted": stored_comments == comments,
            "participants_equal_writers": participants == writers,
            "published_counts": counts,
        }
    )
    figures["published_counts_right"] = counts == {
        "participants": figures["participants"],
        "ideas": figures["published"],
        "supports": figures["supports"],
        "comments": figures["published_comments"],
    }
    return figures
