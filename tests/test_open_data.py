"""Open data and the published results cover only what the public may see: listed
(published or selected) ideas; nothing about a pending, rejected, hidden, withdrawn or
merged-away idea, its supports or comments appears in any output, not even in a total."""

from __future__ import annotations

from app.db import utcnow
from app.extensions import db
from ideas import services
from ideas.clustering.models import Cluster, ClusteringRun, ClusterMember, RunStatus
from ideas.models import IdeaStatus, ProjectStage, Support
from tests.factories import CommentFactory, IdeaFactory, ProjectFactory, UserFactory

# Everyone behind the public ideas lives in ЦАО, everyone behind the others in ЮВАО: a
# single person of ЮВАО in a figure would show a non-public idea leaking into it.
PUBLIC_DISTRICT, HIDDEN_DISTRICT, HIDDEN_OKRUG = "khamovniki", "marino", "ЮВАО"


def with_supports_and_comment(idea, district: str, supporters: int) -> None:
    for _ in range(supporters):
        db.session.add(Support(idea_id=idea.id, user_id=UserFactory(district_code=district).id))
    idea.support_count = supporters
    db.session.commit()
    CommentFactory(idea=idea, author=UserFactory(district_code=district))


def test_open_data_and_results_leave_out_every_idea_the_public_cannot_see(api):
    project = ProjectFactory(stage=ProjectStage.EXPERT_REVIEW)
    public_author = UserFactory(district_code=PUBLIC_DISTRICT)
    selected = IdeaFactory(project=project, author=public_author, title="Отобранная идея")
    published = IdeaFactory(project=project, author=public_author, title="Открытая идея")
    with_supports_and_comment(selected, PUBLIC_DISTRICT, 2)
    with_supports_and_comment(published, PUBLIC_DISTRICT, 1)
    unseen = {}
    for status in (IdeaStatus.PENDING, IdeaStatus.REJECTED, IdeaStatus.HIDDEN, IdeaStatus.MERGED):
        idea = IdeaFactory(
            project=project,
            author=UserFactory(district_code=HIDDEN_DISTRICT),
            status=status,
            title=f"Закрытая идея {status.value}",
            body=f"Текст, которого нет в открытых данных: {status.value}.",
            merged_into=published if status is IdeaStatus.MERGED else None,
        )
        with_supports_and_comment(idea, HIDDEN_DISTRICT, 3)
        unseen[status.value] = idea
    withdrawn = IdeaFactory(
        project=project,
        author=UserFactory(district_code=HIDDEN_DISTRICT),
        title="Отозванная автором идея",
        body="Автор передумал, идея снята.",
    )
    with_supports_and_comment(withdrawn, HIDDEN_DISTRICT, 3)
    services.withdraw_idea(withdrawn, withdrawn.author)
    db.session.commit()
    unseen["withdrawn"] = withdrawn
    # A topic of the last clustering run holding only ideas the public cannot see, and one
    # that mixes them with a public idea.
    run = ClusteringRun(project_id=project.id, status=RunStatus.DONE, finished_at=utcnow())
    run.clusters = [
        Cluster(number=0, label="Тема открытых идей", size=3, support=9),
        Cluster(number=1, label="Тема закрытых идей", size=4, support=12),
    ]
    db.session.add(run)
    db.session.flush()
    mixed, closed = run.clusters
    db.session.add_all(
        [
            ClusterMember(run_id=run.id, idea_id=published.id, cluster_id=mixed.id),
            ClusterMember(run_id=run.id, idea_id=unseen["hidden"].id, cluster_id=mixed.id),
            *(
                ClusterMember(run_id=run.id, idea_id=idea.id, cluster_id=closed.id)
                for key, idea in unseen.items()
                if key != "hidden"
            ),
        ]
    )
    staff = UserFactory(roles=("staff",))
    db.session.commit()
    api.login(staff.email)
    assert (
        api.post(f"/projects/{project.id}/selection", {"idea_ids": [selected.id]}).status_code
        == 200
    )
    assert api.post(f"/projects/{project.id}/publish").status_code == 201
    api.logout()

    tables = api.get(f"/projects/{project.id}/export", format="json").json
    assert sorted(row["id"] for row in tables["ideas"]) == [selected.id, published.id]
    assert {row["supports"] for row in tables["ideas"]} == {2, 1}
    assert tables["supports"] == sorted(
        [
            {"idea_id": selected.id, "okrug": "ЦАО", "supports": 2},
            {"idea_id": published.id, "okrug": "ЦАО", "supports": 1},
        ],
        key=lambda row: row["idea_id"],
    )
    assert tables["topics"] == [
        {"id": mixed.id, "label": "Тема открытых идей", "size": 1, "support": 1}
    ]
    results = api.get(f"/projects/{project.id}/results").json
    figures = results["participation"]
    # 1 author, 3 supporters and 2 commenters, all of ЦАО.
    assert (figures["participants"], figures["ideas"]) == (6, 2)
    assert (figures["supports"], figures["comments"]) == (3, 2)
    assert figures["by_okrug"][HIDDEN_OKRUG] == {"participants": 0, "ideas": 0}
    assert results["topics"] == tables["topics"]

    outputs = [
        api.get(f"/projects/{project.id}/export", format=fmt).get_data(as_text=True)
        for fmt in ("csv", "json")
    ]
    outputs.append(api.get(f"/projects/{project.id}/results").get_data(as_text=True))
    for idea in unseen.values():
        for text in outputs:
            assert idea.title not in text
            assert idea.body not in text
    assert "Тема закрытых идей" not in "".join(outputs)
