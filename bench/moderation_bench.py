"""Benchmark of the automatic findings: how long the checks take per idea.

    python bench/moderation_bench.py [--ideas 5500] [--seed 0] [--data ../shared/data]

They run on every idea and comment as it is written or edited, so they must stay cheap.
Texts are synthetic ideas (bench/ideas_gen.py); when the shared data folder is beside the
repository, the Kursk appeals are checked too (read at run time, never stored). Prints a
Markdown table: milliseconds per text for the profanity check and for all checks, and
how many texts the profanity check flagged.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO / ".." / "shared" / "data"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ideas_gen import generate_ideas  # noqa: E402 -- needs the path set above

from moderation.findings import check_text, find_profanity  # noqa: E402


def _corpora(ideas: int, seed: int, data: Path) -> dict[str, list[str]]:
    corpora = {f"{ideas:,} synthetic ideas": generate_ideas(ideas, seed)}
    real_path = data / "kursk_appeals_category.csv"
    if real_path.is_file():
        with real_path.open(encoding="utf-8") as handle:
            texts = [row["text"] for row in csv.DictReader(handle)]
        corpora[f"{len(texts):,} Kursk appeals"] = texts
    return corpora


def _ms_per_text(check: Callable[[str], object], texts: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    flagged = sum(1 for text in texts if check(text))
    return (time.perf_counter() - start) * 1000 / len(texts), flagged


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ideas", type=int, default=5500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    args = parser.parse_args()
    print("| texts | words per text | profanity, ms per text | all checks, ms per text | flagged |")
    print("|---|---|---|---|---|")
    for name, texts in _corpora(args.ideas, args.seed, args.data).items():
        words = sum(len(text.split()) for text in texts) / len(texts)
        profanity_ms, flagged = _ms_per_text(find_profanity, texts)
        all_ms, _flagged = _ms_per_text(check_text, texts)
        print(f"| {name} | {words:.0f} | {profanity_ms:.3f} | {all_ms:.3f} | {flagged} |")


if __name__ == "__main__":
    main()
