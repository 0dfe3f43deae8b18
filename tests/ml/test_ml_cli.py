"""``python -m ml`` round trips on tiny CSV files written by the tests."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ml.cli import main

REPO = Path(__file__).resolve().parents[2]


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_cluster_round_trip(tmp_path: Path, ideas) -> None:
    texts, _ = ideas
    texts = [*texts, texts[0]]  # one exact duplicate
    source = write_csv(
        tmp_path / "ideas.csv",
        ["id", "text", "supports"],
        [[f"i{n}", text, n % 3] for n, text in enumerate(texts)],
    )
    out = tmp_path / "result.json"
    code = main(["cluster", str(source), "--out", str(out), "--k", "4", "--seed", "1",
                 "--weights", "supports", "--quiet"])  # fmt: skip
    assert code == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert len(result["assignments"]) == len(texts)
    assert result["ids"][0] == "i0"
    assert {-1, *range(len(result["clusters"]))} >= set(result["assignments"])
    for cluster in result["clusters"]:
        assert cluster["label"]
        assert cluster["size"] == result["assignments"].count(cluster["id"])
        assert all(0 <= row < len(texts) for row in cluster["representative_rows"])
        assert cluster["representative_ids"] == [f"i{r}" for r in cluster["representative_rows"]]
    assert any(0 in group and len(texts) - 1 in group for group in result["duplicates"])
    assert len(result["coords_2d"]) == len(texts)


def test_cluster_rejects_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wrong = write_csv(tmp_path / "wrong.csv", ["body"], [["парк"]])
    assert main(["cluster", str(wrong), "--out", str(tmp_path / "x.json")]) == 2
    assert "missing column" in capsys.readouterr().err
    empty = write_csv(tmp_path / "empty.csv", ["text"], [])
    assert main(["cluster", str(empty), "--out", str(tmp_path / "x.json")]) == 2
    assert main(["cluster", str(tmp_path / "absent.csv"), "--out", "x.json"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_score_pairs_round_trip(tmp_path: Path) -> None:
    rows = [
        ["Электронная очередь в поликлинике", "Сделать электронные очереди в поликлиниках"],
        ["Электронная очередь в поликлинике", "Вывозить мусор чаще"],
        ["", "😀"],
    ]
    source = write_csv(tmp_path / "pairs.csv", ["text_a", "text_b"], rows)
    out = tmp_path / "scores.csv"
    assert main(["score-pairs", str(source), "--out", str(out)]) == 0
    with out.open(encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    assert [[r["text_a"], r["text_b"]] for r in written] == rows
    scores = [float(r["score"]) for r in written]
    assert all(0.0 <= score <= 1.0 for score in scores)
    assert scores[0] > scores[1]


def test_evaluate_clustering_and_pairs(tmp_path: Path, ideas, capsys) -> None:
    texts, themes = ideas
    labelled = write_csv(
        tmp_path / "labelled.csv", ["text", "label"], list(zip(texts, themes, strict=True))
    )
    assert main(["evaluate", str(labelled), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["kind"] == "clustering"
    methods = {row["method"]: row for row in payload["results"]}
    assert set(methods) == {"ours", "tfidf-words", "tfidf-char3-5"}
    assert 0.0 <= methods["ours"]["nmi"] <= 1.0

    pairs = write_csv(
        tmp_path / "pairs.csv",
        ["text_a", "text_b", "is_duplicate"],
        [
            ["Электронная очередь в поликлинике", "Электронные очереди в поликлиниках", 1],
            ["Починить лавочки в сквере", "Отремонтировать лавочки в сквере", 1],
            ["Электронная очередь в поликлинике", "Вывозить мусор чаще", 0],
            ["Починить лавочки в сквере", "Больше автобусов", 0],
        ],
    )
    assert main(["evaluate", str(pairs)]) == 0
    table = capsys.readouterr().out
    assert "roc_auc" in table
    assert "ours" in table
    assert "tfidf-char3-5" in table


def test_module_entry_point(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "pairs.csv", ["text_a", "text_b"], [["парк", "парки"]])
    out = tmp_path / "scores.csv"
    completed = subprocess.run(  # noqa: S603 -- our own interpreter and arguments
        [sys.executable, "-m", "ml", "score-pairs", str(source), "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert out.read_text(encoding="utf-8").splitlines()[1].startswith("парк,парки,1.0")
