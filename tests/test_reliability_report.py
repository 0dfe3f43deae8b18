"""tools/reliability_report.py: recorded figures become tables in docs/reliability.md."""

from __future__ import annotations

import json

from tools.reliability_report import END, START, render, write


def test_figures_become_a_table_with_nested_names_flattened(tmp_path):
    (tmp_path / "load_poll_launch.json").write_text(
        json.dumps(
            {
                "test": "tests/x.py::test_y",
                "rps": 412.5,
                "p99_ms": {"vote": 180.4},
                "faults": [{"mode": "fast"}, {"mode": "immediate"}],
            }
        )
    )
    text = render(tmp_path)
    assert "### load_poll_launch" in text
    assert "Measured by `tests/x.py::test_y`." in text
    assert "| rps | 412.5 |" in text
    assert "| p99_ms.vote | 180.4 |" in text
    assert "| faults[1].mode | immediate |" in text


def test_writing_replaces_only_the_figures_between_the_markers(tmp_path):
    document = tmp_path / "reliability.md"
    document.write_text(f"# Reliability\n\nProse stays.\n\n{START}\nold figures\n{END}\n\nMore.\n")
    write(document, "new figures")
    text = document.read_text()
    assert "Prose stays." in text
    assert "More." in text
    assert "new figures" in text
    assert "old figures" not in text
