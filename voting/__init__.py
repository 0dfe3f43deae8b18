"""Polls in the manner of «Активный гражданин»: targeted audiences, one secret ballot per
resident, receipts, a Merkle ledger anyone can check, results and the decision taken.

`init_app(app)` plugs the package in (called by `app.factory`). Nothing is imported at module
level, so `python -m voting.verify` runs with the standard library alone.
"""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    from flask_babel import lazy_gettext as _l

    from app.demo import register_demo_step
    from app.request_log import register_private_segment
    from app.templating import register_labels, register_nav_link
    from voting import api, views
    from voting.ballots import POINTS_REASON
    from voting.cli import polls_cli
    from voting.demo import demo_step
    from voting.express import init_express_votes

    app.register_blueprint(views.bp)
    app.register_api(api.api)
    init_express_votes(app)
    # A receipt check (the API's GET …/receipts/{receipt}, the page's form at …/receipt) is
    # logged with the receipt redacted and without the person who asked.
    register_private_segment("receipts")
    register_private_segment("receipt")
    app.cli.add_command(polls_cli)
    register_nav_link(30, "voting.index", _l("Опросы"))
    register_labels("points", {POINTS_REASON: _l("Участие в опросе")})
    register_labels(
        "poll_phase",
        {
            "draft": _l("черновик"),
            "scheduled": _l("скоро откроется"),
            "open": _l("идёт голосование"),
            "closed": _l("завершён"),
        },
    )
    register_labels(
        "question_kind",
        {
            "single": _l("один вариант"),
            "multiple": _l("несколько вариантов"),
            "open": _l("свободный ответ"),
        },
    )
    register_demo_step(30, "polls", demo_step)
