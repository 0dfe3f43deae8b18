"""The demo step: a realistic project filled in bulk, with counts that add up; idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from ideas import services
from ideas.demo import generator, phrases
from ideas.models import Comment, Idea, IdeaStatus, Project, Support

DemoSize = generator.DemoSize


def small(**kwargs):
    return DemoSize(ideas=300, residents=400, **kwargs)


def test_demo_project_counts_add_up(app):
    steps = []
    project_id = generator.build_demo_project(small(), lambda f, m: steps.append((f, m)))
    db.session.commit()
    assert steps[0][0] == 0.0
    assert steps[-1][0] == 1.0
    assert all(0 <= f <= 1 for f, _m in steps)
    project = db.session.get(Project, project_id)
    assert [s.title for s in project.sections] == list(phrases.SECTIONS)
    ideas = db.session.scalar(select(func.count()).select_from(Idea))
    assert ideas == 300
    assert db.session.scalar(select(func.sum(Idea.support_count))) == db.session.scalar(
        select(func.count()).select_from(Support)
    )
    assert db.session.scalar(select(func.sum(Idea.comment_count))) == db.session.scalar(
        select(func.count()).select_from(Comment)
    )
    assert db.session.scalar(select(func.count()).where(Comment.parent_id.is_not(None))) > 0
    published = db.session.scalar(select(func.count()).where(Idea.status == IdeaStatus.PUBLISHED))
    assert published > 250
    assert db.session.scalar(select(func.count()).where(Idea.normalized_text == "")) == 0
    people = (
        set(db.session.scalars(select(Idea.author_id)))
        | set(db.session.scalars(select(Support.user_id)))
        | set(db.session.scalars(select(Comment.author_id)))
    )
    counts = services.get_project_counts([project_id])[project_id]
    assert counts.participants == len(people)


def test_demo_texts_have_duplicates_and_typos(app):
    generator.build_demo_project(small(seed=5), lambda f, m: None)
    titles = db.session.scalars(select(Idea.title)).all()
    assert len(set(titles)) < len(titles)  # paraphrases repeat, as in real projects
    bodies = db.session.scalars(select(Idea.body)).all()
    assert len(set(bodies)) > 0.8 * len(bodies)  # but the texts themselves vary


def test_demo_step_is_idempotent_and_searchable(app, api, monkeypatch):
    monkeypatch.setattr(generator, "DemoSize", small)
    generator.fill_demo(lambda f, m: None)
    db.session.commit()
    generator.fill_demo(lambda f, m: None)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Project)) == 1
    project_id = db.session.scalar(select(Project.id))
    found = api.get(f"/projects/{project_id}/ideas", q="очередями").json
    assert found["total"] > 0
    similar = api.get(f"/projects/{project_id}/ideas/similar", text="детская игровая комната")
    assert similar.json["items"]


def test_demo_command_runs_the_step(app, monkeypatch):
    monkeypatch.setattr(generator, "DemoSize", small)
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "ideas:" in result.output
    assert db.session.scalar(select(func.count()).select_from(Idea)) == 300
