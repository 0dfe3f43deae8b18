"""Command line: ``python -m ml cluster|score-pairs|evaluate``.

Thin wrappers: read a CSV, call the library, write JSON or CSV. Printing is fine here.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from ml._cluster import IdeaClusterer
from ml._duplicates import DEFAULT_DUPLICATE_THRESHOLD, find_duplicate_groups
from ml._evaluate import evaluate_clustering, evaluate_pairs
from ml._similarity import pair_scores

logger = logging.getLogger(__name__)


class CliError(Exception):
    """A problem with the user's input, reported without a traceback."""


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Return (column names, rows) of a UTF-8 CSV with a header (a BOM is accepted)."""
    if not path.is_file():
        raise CliError(f"no such file: {path}")
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        columns = list(reader.fieldnames or [])
    return columns, rows


def _require(columns: list[str], needed: Sequence[str], path: Path) -> None:
    missing = [name for name in needed if name not in columns]
    if missing:
        raise CliError(f"{path}: missing column(s) {', '.join(missing)}; found {columns}")


def cmd_cluster(args: argparse.Namespace) -> int:
    columns, rows = read_csv(args.input)
    _require(columns, ["text"], args.input)
    if not rows:
        raise CliError(f"{args.input}: no rows to cluster")
    texts = [row["text"] or "" for row in rows]
    weights = None
    if args.weights:
        _require(columns, [args.weights], args.input)
        try:
            weights = [float(row[args.weights] or 0) for row in rows]
        except ValueError as error:
            raise CliError(f"column {args.weights} must hold numbers: {error}") from error
    clusterer = IdeaClusterer(n_clusters=args.k, random_state=args.seed)

    def show(fraction: float, message: str) -> None:
        if not args.quiet:
            print(f"[{fraction:4.0%}] {message}", file=sys.stderr)

    clusterer.fit(texts, weights=weights, progress=show)
    duplicates = find_duplicate_groups(
        clusterer.normalized_texts_,
        args.duplicate_threshold,
        normalized=True,
        random_state=args.seed,
    )
    ids = [row.get("id") for row in rows] if "id" in columns else None
    result = {
        "n_texts": len(texts),
        "assignments": [int(label) for label in clusterer.labels_],
        "clusters": [
            {
                "id": cluster.id,
                "label": cluster.label,
                "terms": cluster.terms,
                "size": cluster.size,
                "support": cluster.support,
                "representative_rows": cluster.representatives,
                **(
                    {"representative_ids": [ids[i] for i in cluster.representatives]} if ids else {}
                ),
                "center_2d": [round(value, 5) for value in cluster.center_2d],
            }
            for cluster in clusterer.clusters_
        ],
        "other": {"id": -1, "label": clusterer.other_label_, "size": clusterer.other_size_},
        "duplicates": duplicates,
        "coords_2d": [[round(float(x), 5), round(float(y), 5)] for x, y in clusterer.coords_2d_],
    }
    if ids:
        result["ids"] = ids
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    if not args.quiet:
        print(
            f"{len(texts)} texts -> {clusterer.n_clusters_} clusters, "
            f"{clusterer.other_size_} other, {len(duplicates)} duplicate groups; wrote {args.out}"
        )
    return 0


def cmd_score_pairs(args: argparse.Namespace) -> int:
    columns, rows = read_csv(args.input)
    _require(columns, ["text_a", "text_b"], args.input)
    scores = pair_scores([r["text_a"] or "" for r in rows], [r["text_b"] or "" for r in rows])
    with args.out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*columns, "score"])
        writer.writeheader()
        for row, score in zip(rows, scores, strict=True):
            writer.writerow({**row, "score": f"{score:.6f}"})
    print(f"scored {len(rows)} pairs; wrote {args.out}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    columns, rows = read_csv(args.input)
    if {"text_a", "text_b", "is_duplicate"} <= set(columns):
        try:
            truth = [int(row["is_duplicate"]) for row in rows]
        except ValueError as error:
            raise CliError(f"is_duplicate must be 0 or 1: {error}") from error
        results = evaluate_pairs([r["text_a"] for r in rows], [r["text_b"] for r in rows], truth)
        kind, metrics = "pairs", ("roc_auc", "best_f1", "best_threshold", "seconds")
    elif {"text", "label"} <= set(columns):
        results = evaluate_clustering(
            [r["text"] for r in rows], [r["label"] for r in rows], random_state=args.seed
        )
        kind, metrics = "clustering", ("nmi", "ari", "v_measure", "n_other", "seconds")
    else:
        raise CliError(
            f"{args.input}: expected columns text,label or text_a,text_b,is_duplicate; "
            f"found {columns}"
        )
    if args.json:
        payload = {
            "file": str(args.input),
            "kind": kind,
            "rows": len(rows),
            "results": [result.as_dict() for result in results],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=1))
        return 0
    print(f"{args.input.name}: {len(rows)} rows, {kind}")
    header = f"{'method':<16}" + "".join(f"{name:>16}" for name in metrics)
    print(header)
    print("-" * len(header))
    for result in results:
        values = result.as_dict()
        cells = "".join(_cell(values[name]) for name in metrics)
        print(f"{result.method:<16}{cells}")
    return 0


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:>16.4f}"
    return f"{value!s:>16}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ml", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    commands = parser.add_subparsers(dest="command", required=True)

    cluster = commands.add_parser("cluster", help="cluster ideas from a CSV with a text column")
    cluster.add_argument("input", type=Path)
    cluster.add_argument("--out", type=Path, required=True, help="JSON file to write")
    cluster.add_argument("--k", type=int, default=None, help="number of clusters (default: auto)")
    cluster.add_argument("--seed", type=int, default=0)
    cluster.add_argument("--weights", default=None, help="numeric column summed per cluster")
    cluster.add_argument("--duplicate-threshold", type=float, default=DEFAULT_DUPLICATE_THRESHOLD)
    cluster.add_argument("--quiet", action="store_true", help="print nothing on success")
    cluster.set_defaults(handler=cmd_cluster)

    score = commands.add_parser("score-pairs", help="score text_a,text_b pairs in [0, 1]")
    score.add_argument("input", type=Path)
    score.add_argument("--out", type=Path, required=True, help="CSV file to write")
    score.set_defaults(handler=cmd_score_pairs)

    evaluate = commands.add_parser("evaluate", help="compare with TF-IDF baselines")
    evaluate.add_argument("input", type=Path)
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--json", action="store_true", help="machine-readable output")
    evaluate.set_defaults(handler=cmd_evaluate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if getattr(args, "k", None) is not None and args.k < 1:
        print("error: --k must be at least 1", file=sys.stderr)
        return 2
    try:
        return int(args.handler(args))
    except (CliError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
