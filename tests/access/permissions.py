"""THE PERMISSION TABLE: who may call every route of the app (`app.url_map`), by role.

Every endpoint of the URL map is a key here (a test fails when a new route is missing, so
it has to be classified); the value is a rule (see `tests/access/rules.py` for what each
kind means per role) or a list of rules when methods differ or when the same route is also
checked against a hidden row (a draft, someone else's pending idea).

URL parameters resolve to the scenario's rows by their name (`DEFAULT_AT`) unless the rule
says otherwise in `at`; in a body, "@name" stands for `Scenario.ids[name]`. Writes carry a
minimal valid body: an API body that fails validation would be refused with 422 before
anyone asks who is calling.

Choices where the code could have gone either way, taken as Decidim/CONSUL do:
- blocked people may sign in, read, see their account and inbox, revoke their tokens and
  sign out, but not act (flag, comment, support, vote, edit, moderate);
- flagging needs a signed-in, non-blocked person, not a verified one;
- drafts (projects, polls), pending ideas and unpublished results are 404 to those who may
  not see them, never 403 (their existence is not disclosed);
- experts and staff use the clustering screens and the review workspace; moderators the
  queue and may send duplicates to it; the moderation log is open to staff too;
- only staff select ideas for the shortlist: an expert's POST to it is refused;
- only experts score, on the review page as on the API: staff read the review page, and
  their POST to it is refused;
- a moderator blocks residents and experts only: an admin alone blocks (or unblocks) a
  moderator or staff, no one blocks themselves or an admin;
- no one decides on what they wrote: a moderator's own pending idea is decided by another
  moderator (or an admin);
- a published poll decision is corrected, with a reason, by staff only;
- no one, staff and admins included, reads a tally of a poll whose results come after closing
  before it closes (issue #17).
"""

from __future__ import annotations

from tests.access.rules import (
    Active,
    Hidden,
    Nobody,
    Owner,
    Public,
    Roles,
    Rule,
    SignedIn,
    Unpublished,
    Verified,
)
from tests.factories import DEFAULT_PASSWORD

# Which scenario row a URL parameter names unless a rule says otherwise.
DEFAULT_AT = {
    "project_id": "project_id",
    "idea_id": "idea_id",
    "comment_id": "comment_id",
    "poll_id": "poll_id",
    "run_id": "run_id",
    "cluster_id": "cluster_id",
    "question_id": "question_id",
    "receipt": "receipt",
    "user_id": "victim_id",
    "target_type": "=idea",
    "target_id": "pending_idea_id",
    "chart": "=topics",
}

REVIEW = {"project_id": "review_project_id"}
RESULTS = {"project_id": "results_project_id"}
RUN = {"run_id": "run_id", "cluster_id": "cluster_id"}
REVIEW_IDEA = {"idea_id": "review_idea_id"}
OPEN_POLL = {"poll_id": "open_poll_id"}
DRAFT_POLL = {"poll_id": "draft_poll_id"}
DECIDED_POLL = {"poll_id": "decided_poll_id"}
CORRECTION = {"text": "Парковку расширят на 60 мест.", "reason": "Нашлось место во дворе."}
OWN_PENDING = {"idea_id": "own_pending_idea_id"}
OWN_IDEA = {"idea_id": "own_idea_id"}
SOMEONE_ELSES_PENDING = {"idea_id": "pending_idea_id"}
DRAFT_PROJECT = {"project_id": "draft_project_id"}
MODERATORS_OWN = {"target_id": "moderators_pending_idea_id"}
# Whose account a block names: a resident and an expert (a moderator may), staff and a
# moderator (an admin alone may; the scenario's moderator is also the caller: no one blocks
# themselves), an admin (no one may).
STAFF_ACCOUNT = {"user_id": "staff_id"}
MODERATOR_ACCOUNT = {"user_id": "moderator_id"}
COLLEAGUE_ACCOUNT = {"user_id": "colleague_id"}
EXPERT_ACCOUNT = {"user_id": "expert_id"}
ADMIN_ACCOUNT = {"user_id": "admin_id"}
GET, POST = ("GET",), ("POST",)

IDEA_FORM = {"title": "Новая идея про очереди в МФЦ", "body": "Сделать запись онлайн удобнее."}
POLL_BODY = {
    "title": "Новый опрос о транспорте",
    "questions": [
        {"text": "Нужен автобус?", "kind": "single", "options": [{"text": "Да"}, {"text": "Нет"}]}
    ],
}
PROJECT_BODY = {"title": "Новый проект о парках", "sections": ["Общее"]}
SCORES = {"usefulness": 4, "feasibility": 4, "cost": 3, "reach": 4}


def blocking(body: dict[str, str]) -> list[Rule]:
    """Who may block whom (page and API alike): moderators block residents and experts, only
    an admin blocks staff or a moderator, nobody blocks an admin."""
    return [
        Roles("moderator", body=body),
        Roles("moderator", at=EXPERT_ACCOUNT, body=body),
        Roles("admin", at=STAFF_ACCOUNT, body=body),
        Roles("admin", at=MODERATOR_ACCOUNT, body=body),
        Roles("admin", at=COLLEAGUE_ACCOUNT, body=body),
        Nobody(at=ADMIN_ACCOUNT, body=body),
    ]


TABLE: dict[str, Rule | list[Rule]] = {
    # --- the site, accounts, sessions --------------------------------------------------------
    "main.index": Public(),
    "main.health": Public(),
    "main.set_language": Public(body={"lang": "en", "next": "/"}),
    "static": Public(at={"filename": "=css/app.css"}),
    "bootstrap.static": Public(at={"filename": "=css/bootstrap.min.css"}),
    "ideas.static": Public(at={"filename": "=similar.js"}),
    "voting.static": Public(at={"filename": "=voting.css"}),
    "swagger_ui.static": Public(at={"filename": "=js/swagger-ui-bundle.js"}),
    "api_docs.api_docs_page": Public(),
    "api_docs.openapi_document": Public(),
    "auth.register": Public(
        body={
            "email": "new.person@example.ru",
            "password": "long-password-1",
            "display_name": "Новый житель",
            "district": "arbat",
        }
    ),
    "auth.login": Public(body={"email": "@victim_email", "password": DEFAULT_PASSWORD}),
    "auth.logout": SignedIn(),
    "auth.logout_everywhere": SignedIn(),
    "auth.account": SignedIn(),
    "auth.notifications": SignedIn(),
    "auth.verify": SignedIn(body={"code": "000000"}),
    "auth.send_code": SignedIn(),
    "auth_api.register": Public(
        body={
            "email": "api.person@example.ru",
            "password": "long-password-1",
            "display_name": "Житель API",
            "district": "arbat",
        }
    ),
    "auth_api.create_token": Public(body={"email": "@victim_email", "password": DEFAULT_PASSWORD}),
    "auth_api.delete_token": SignedIn(),
    "auth_api.send_code": SignedIn(),
    "auth_api.confirm_code": SignedIn(body={"code": "000000"}),
    "auth_api.me": SignedIn(),
    "auth_api.districts": Public(),
    # --- projects and ideas --------------------------------------------------------------------
    "ideas.projects": Public(),
    "ideas.project": [Public(), Hidden("staff", at=DRAFT_PROJECT)],
    "ideas.new_project": Roles("staff", body={**PROJECT_BODY, "sections": "Общее"}),
    "ideas.edit_project": Roles("staff", body={"title": "Проект о парках и скверах"}),
    "ideas.idea_list": [Public(), Hidden("staff", at=DRAFT_PROJECT)],
    "ideas.new_idea": Verified(body={**IDEA_FORM, "section": "@section_id"}),
    "ideas.idea": [
        Public(),
        Hidden("moderator", "staff", at=SOMEONE_ELSES_PENDING),
        Hidden("resident", "moderator", "staff", at=OWN_PENDING),
    ],
    "ideas.edit_idea": Owner(sees=("moderator", "staff"), hidden=True, at=OWN_PENDING),
    "ideas.withdraw": Owner(also=("moderator", "staff"), at=OWN_IDEA),
    "ideas.support": Verified(),
    "ideas.comment": Verified(body={"body": "Согласен с идеей."}),
    "ideas.flag_idea": Active(body={"reason": "Оскорбления"}),
    "ideas.flag_comment": Active(body={"reason": "Оскорбления"}),
    "ideas_api.list_projects": Public(),
    "ideas_api.create_project": Roles("staff", body=PROJECT_BODY),
    "ideas_api.get_project": [Public(), Hidden("staff", at=DRAFT_PROJECT)],
    "ideas_api.update_project": Roles("staff", body={"description": "Новое описание"}),
    "ideas_api.list_ideas": [Public(), Hidden("staff", at=DRAFT_PROJECT)],
    "ideas_api.submit_idea": Verified(body={**IDEA_FORM, "section": "@section_id"}),
    "ideas_api.import_ideas": Roles(
        "staff", body={"ideas": [{**IDEA_FORM, "section": "Очереди и запись"}]}
    ),
    "ideas_api.similar_ideas": Public(query={"text": "очередь в центре госуслуг"}),
    "ideas_api.get_idea": [
        Public(),
        Hidden("moderator", "staff", at=SOMEONE_ELSES_PENDING),
    ],
    "ideas_api.edit_idea": Owner(
        sees=("moderator", "staff"), hidden=True, at=OWN_PENDING, body={"title": "Идея поправлена"}
    ),
    "ideas_api.delete_idea": Owner(also=("moderator", "staff"), at=OWN_IDEA),
    "ideas_api.list_comments": [
        Public(),
        Hidden("moderator", "staff", at=SOMEONE_ELSES_PENDING),
    ],
    "ideas_api.add_comment": Verified(body={"body": "Согласен с идеей."}),
    "ideas_api.support": Verified(),
    "ideas_api.withdraw_support": Verified(),
    "ideas_api.flag_idea": Active(body={"reason": "Оскорбления"}),
    "ideas_api.flag_comment": Active(body={"reason": "Оскорбления"}),
    # --- clustering ----------------------------------------------------------------------------
    "clustering.runs": Roles("expert", "staff", at=REVIEW, body={"k": "3", "seed": "1"}),
    "clustering.run_page": Roles("expert", "staff", at=RUN),
    "clustering.run_map": Roles("expert", "staff", at=RUN),
    "clustering.rename": Roles("expert", "staff", at=RUN, body={"label": "Очереди"}),
    "clustering.send_duplicate": Roles("expert", "staff", "moderator", at=RUN),
    "clustering_api.start": Roles("expert", "staff", at=REVIEW, body={"k": 3}),
    "clustering_api.show": Roles("expert", "staff", at=RUN),
    "clustering_api.latest": Roles("expert", "staff", at=REVIEW),
    "clustering_api.rename": Roles("expert", "staff", at=RUN, body={"label": "Очереди"}),
    # --- expert review, selection, results -----------------------------------------------------
    "review.workspace": Roles("expert", "staff", at=REVIEW),
    "review.cluster": Roles("expert", "staff", at={**REVIEW, **RUN}),
    "review.review_idea": [
        Roles("expert", "staff", at=REVIEW_IDEA, methods=GET),
        Roles("expert", at=REVIEW_IDEA, methods=POST, body=SCORES),
    ],
    "review.conflict": Roles("expert", at=REVIEW_IDEA),
    "review.shortlist_page": [
        Roles("expert", "staff", at=REVIEW, methods=GET),
        Roles("staff", at=REVIEW, methods=POST, body={"idea_ids": "@review_idea_id"}),
    ],
    "review.publish": Roles("staff", at=REVIEW),
    "review.implementation": Roles(
        "staff", at={"idea_id": "selected_idea_id"}, body={"status": "done", "progress": "100"}
    ),
    "review.results_page": [Public(at=RESULTS), Hidden("staff", at=REVIEW)],
    "review.results_chart": [Public(at=RESULTS), Hidden("staff", at=REVIEW)],
    "review_api.get_rubric": Roles("expert", "staff", at=REVIEW),
    "review_api.put_rubric": Roles("staff", at=REVIEW, body={"blind": False}),
    "review_api.put_assignments": Roles("staff", at=REVIEW, body={"assignments": []}),
    "review_api.list_reviews": Roles("expert", "staff", at=REVIEW_IDEA),
    "review_api.put_review": Roles("expert", at=REVIEW_IDEA, body={"scores": SCORES}),
    "review_api.declare_conflict": Roles("expert", at=REVIEW_IDEA),
    "review_api.get_shortlist": Roles("expert", "staff", at=REVIEW),
    "review_api.select_ideas": Roles("staff", at=REVIEW, body={"idea_ids": ["@review_idea_id"]}),
    "review_api.set_implementation": Roles(
        "staff", at={"idea_id": "selected_idea_id"}, body={"status": "done", "progress": 100}
    ),
    "review_api.publish": Roles("staff", at=REVIEW),
    "review_api.get_results": [Public(at=RESULTS), Hidden(at=REVIEW)],
    "review_api.export": [
        Public(at=RESULTS),
        Public(at=RESULTS, query={"format": "csv"}),
        Hidden(at=REVIEW),
    ],
    # --- moderation ----------------------------------------------------------------------------
    "moderation.queue": Roles("moderator"),
    "moderation.log": Roles("moderator", "staff"),
    "moderation.decide_page": [
        Roles("moderator", body={"action": "approve"}),
        Roles("moderator", refused=("moderator",), at=MODERATORS_OWN, body={"action": "approve"}),
    ],
    "moderation.block": blocking(body={"note": "spam"}),
    "moderation.unblock": [
        Roles("moderator"),
        Roles("admin", at=STAFF_ACCOUNT),
        Roles("admin", at=COLLEAGUE_ACCOUNT),
        Nobody(at=ADMIN_ACCOUNT),
    ],
    "moderation_api.queue": Roles("moderator"),
    "moderation_api.reasons": Roles("moderator", "staff"),
    "moderation_api.decision_log": Roles("moderator", "staff"),
    "moderation_api.workload": Roles("moderator", "staff"),
    "moderation_api.create_decision": [
        Roles(
            "moderator",
            body={"target_type": "idea", "target_id": "@pending_idea_id", "action": "approve"},
        ),
        Roles(
            "moderator",
            refused=("moderator",),
            body={
                "target_type": "idea",
                "target_id": "@moderators_pending_idea_id",
                "action": "approve",
            },
        ),
    ],
    "moderation_api.block_user": blocking(body={"reason": "spam"}),
    "moderation_api.unblock_user": [
        Roles("moderator", body={}),
        Roles("admin", at=STAFF_ACCOUNT, body={}),
        Roles("admin", at=COLLEAGUE_ACCOUNT, body={}),
        Nobody(at=ADMIN_ACCOUNT, body={}),
    ],
    # --- polls ---------------------------------------------------------------------------------
    "voting.index": Public(),
    "voting.poll_page": [Public(), Public(at=OPEN_POLL), Hidden("staff", at=DRAFT_POLL)],
    "voting.vote": Verified(at=OPEN_POLL),
    "voting.results": Public(),
    # the open poll's results come after closing: no tally for anyone before, staff included
    "voting.results_export_csv": [Public(), Unpublished(at=OPEN_POLL)],
    "voting.ballots_download": Public(),
    "voting.check_receipt": Public(body={"receipt": "@receipt"}),
    "voting.staff_index": Roles("staff"),
    "voting.staff_new": Roles("staff", body={"title": "Опрос"}),
    "voting.staff_poll": [Roles("staff"), Roles("staff", at=DRAFT_POLL)],
    "voting.staff_edit": Roles("staff", at=DRAFT_POLL, body={"title": "Опрос"}),
    "voting.staff_action": [
        Roles("staff", at={**OPEN_POLL, "action": "=close"}),
        Roles("staff", at={**DRAFT_POLL, "action": "=open"}),
        Roles("staff", at={**DRAFT_POLL, "action": "=delete"}),
    ],
    "voting.staff_decision": [
        Roles("staff", body={"text": "Решено открыть офис."}),
        Roles("staff", at=DECIDED_POLL, body=CORRECTION),
    ],
    "voting.staff_report": Roles("staff"),
    "voting.staff_clusters": Roles("staff"),
    "voting.staff_follow_up": Roles("staff", body={"clusters": "0"}),
    "voting_api.list_polls": Public(),
    "voting_api.create_poll": Roles("staff", body=POLL_BODY),
    "voting_api.get_poll": [Public(), Hidden("staff", at=DRAFT_POLL)],
    "voting_api.update_poll": Roles("staff", at=DRAFT_POLL, body={"title": "Новый заголовок"}),
    "voting_api.vote": Verified(at=OPEN_POLL, body={"answers": []}),
    "voting_api.results": [Public(), Unpublished(at=OPEN_POLL)],
    "voting_api.export": [
        Public(),
        Public(query={"format": "csv"}),
        Unpublished(at=OPEN_POLL),
        Unpublished(at=OPEN_POLL, query={"format": "csv"}),
    ],
    "voting_api.list_ballots": Public(),
    "voting_api.receipt_proof": Public(),
    "voting_api.ledger_head": [Public(), Public(at=OPEN_POLL)],
    "voting_api.ledger_consistency": Public(query={"first": "1", "second": "1"}),
    "voting_api.ledger_leaves": [
        Public(query={"start": "0", "end": "1"}),
        Public(at=OPEN_POLL, query={"start": "0", "end": "0"}),
    ],
    "voting_api.decision": [
        Roles("staff", body={"text": "Решено открыть офис."}),
        Roles("staff", at=DECIDED_POLL, body=CORRECTION),
    ],
}
