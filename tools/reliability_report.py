"""Turn the figures that reliability tests recorded into tables in docs/reliability.md.

    python tools/reliability_report.py build/reliability [--write docs/reliability.md]

Each `<name>.json` (written by the `record_figures` fixture) becomes a section: the test that
measured it and its figures, nested ones flattened to dotted names. With --write the part of
the document between the two FIGURES markers is replaced; the prose around it stays.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

START = "<!-- FIGURES START (tools/reliability_report.py writes this part) -->"
END = "<!-- FIGURES END -->"
# The order sections appear in; names not listed follow in alphabetical order.
ORDER = (
    "load_poll_launch",
    "load_idea_peak",
    "fault_postgres_restart",
    "fault_redis_gone",
    "fault_worker_killed",
    "fault_gunicorn_worker_killed",
    "schemathesis",
    "oversized_json",
    "json_wrong_shapes",
    "naughty_strings",
    "naughty_strings_forms",
    "access",
    "access_personal_data",
)


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested dicts become dotted names, lists of dicts numbered ones (`faults[1].mode`);
    lists of plain values stay one cell."""
    if isinstance(value, dict):
        rows: list[tuple[str, Any]] = []
        for key, item in value.items():
            rows.extend(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return rows
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return [row for n, item in enumerate(value) for row in flatten(item, f"{prefix}[{n}]")]
    return [(prefix, value)]


def cell(value: Any) -> str:
    if isinstance(value, float):
        text = f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 100 else f"{value:,.1f}"
    elif isinstance(value, int) and not isinstance(value, bool):
        text = f"{value:,}"
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False)
    return text.replace("|", "\\|").replace("\n", " ")


def section(name: str, figures: dict[str, Any]) -> str:
    test = figures.pop("test", "")
    lines = [f"### {name}", ""]
    if test:
        lines += [f"Measured by `{test}`.", ""]
    lines += ["| figure | value |", "|---|---|"]
    lines += [f"| {key} | {cell(value)} |" for key, value in flatten(figures)]
    return "\n".join(lines) + "\n"


def render(directory: Path) -> str:
    files = {path.stem: path for path in sorted(directory.glob("*.json"))}
    names = [n for n in ORDER if n in files] + sorted(n for n in files if n not in ORDER)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    head = (
        f"Run of {stamp} on {platform.node() or 'this machine'} "
        f"({platform.machine()}, Python {platform.python_version()}); "
        f"{len(names)} figure sets.\n"
    )
    body = "\n".join(section(n, json.loads(files[n].read_text(encoding="utf-8"))) for n in names)
    return f"{head}\n{body}"


def write(document: Path, figures: str) -> None:
    text = document.read_text(encoding="utf-8") if document.exists() else ""
    block = f"{START}\n{figures.rstrip()}\n{END}"
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text)
    else:
        text = text.rstrip("\n") + "\n\n## Figures from the last run\n\n" + block + "\n"
    document.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--write", type=Path, help="the document whose figures to replace")
    args = parser.parse_args()
    if not args.directory.is_dir() or not any(args.directory.glob("*.json")):
        print(f"no figures in {args.directory}", file=sys.stderr)
        return 1
    figures = render(args.directory)
    if args.write:
        write(args.write, figures)
        print(f"figures written to {args.write}")
    else:
        print(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
