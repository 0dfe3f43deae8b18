"""``ml`` stays framework-free: importing it pulls in no Flask and no SQLAlchemy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import ml

REPO = Path(__file__).resolve().parents[2]


def test_import_ml_loads_no_web_or_database_framework() -> None:
    code = (
        "import json, sys, ml; ml.get_normalizer().normalize('парк'); "
        "print(json.dumps(sorted(sys.modules)))"
    )
    completed = subprocess.run(  # noqa: S603 -- our own interpreter and arguments
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
        timeout=120,
    )  # fmt: skip
    modules = json.loads(completed.stdout)
    assert "ml" in modules
    forbidden = [
        m for m in modules if m.split(".")[0] in {"flask", "sqlalchemy", "flask_sqlalchemy"}
    ]
    assert forbidden == []


def test_public_api_is_exported() -> None:
    for name in ml.__all__:
        assert hasattr(ml, name), name
    assert {"IdeaClusterer", "SimilarityIndex", "find_duplicate_groups", "pair_scores"} <= set(
        ml.__all__
    )
