"""Benchmark of ``ml``: clustering cold and warm, duplicate groups, similarity queries.

    python bench/ml_bench.py [--sizes 5500,50000,100000] [--queries 300] [--seed 0]

Each measurement runs in its own subprocess so that peak memory (``ru_maxrss``) belongs
to that measurement alone. Texts are synthetic ideas (bench/ideas_gen.py); when the shared
data folder is beside the repository, half of them are real St Petersburg appeals (read
at run time, never stored), each copy with a few typos. Results go to stdout as a
Markdown table and to bench/out/ml_bench.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO / ".." / "shared" / "data"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ideas_gen import generate_ideas, typo  # noqa: E402 -- needs the path set above


def make_texts(n: int, seed: int) -> tuple[list[str], str]:
    """``n`` texts and a note on where they came from."""
    real_path = SHARED_DATA / "spb_appeals_reason.csv"
    if not real_path.is_file():
        return generate_ideas(n, seed), "synthetic"
    with real_path.open(encoding="utf-8") as handle:
        real = [row["text"] for row in csv.DictReader(handle)]
    rng = random.Random(seed)
    n_real = n // 2
    sampled = []
    for index in range(n_real):
        text = real[index % len(real)] if index < len(real) else rng.choice(real)
        if index >= len(real):  # a repeated appeal gets typos, so it is not an exact copy
            text = " ".join(typo(w, rng) if rng.random() < 0.15 else w for w in text.split())
        sampled.append(text)
    texts = sampled + generate_ideas(n - n_real, seed)
    rng.shuffle(texts)
    return texts, "half synthetic ideas, half real SPb appeals (with typos when repeated)"


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(task: str, n: int, seed: int, n_queries: int) -> dict[str, object]:
    """Run one measurement in this process and return its figures."""
    import numpy as np

    import ml

    texts, source = make_texts(n, seed)
    result: dict[str, object] = {"task": task, "n": n, "source": source}
    baseline = peak_mib()
    if task in {"warm", "duplicates", "similarity"}:
        started = time.perf_counter()
        normalized = ml.get_normalizer().normalize_many(texts)
        result["normalize_s"] = time.perf_counter() - started
    if task == "cold":
        started = time.perf_counter()
        model = ml.IdeaClusterer(random_state=seed).fit(texts)
        result["seconds"] = time.perf_counter() - started
        result["n_clusters"] = model.n_clusters_
        result["other"] = model.other_size_
    elif task == "warm":
        started = time.perf_counter()
        model = ml.IdeaClusterer(random_state=seed).fit(normalized, normalized=True)
        result["seconds"] = time.perf_counter() - started
        result["n_clusters"] = model.n_clusters_
        result["other"] = model.other_size_
    elif task == "duplicates":
        started = time.perf_counter()
        groups = ml.find_duplicate_groups(normalized, normalized=True, random_state=seed)
        result["seconds"] = time.perf_counter() - started
        result["groups"] = len(groups)
    elif task == "similarity":
        started = time.perf_counter()
        index = ml.SimilarityIndex().fit(range(n), normalized, normalized=True)
        result["fit_s"] = time.perf_counter() - started
        rng = random.Random(seed + 1)
        queries = [
            " ".join(typo(w, rng) if rng.random() < 0.2 else w for w in rng.choice(texts).split())
            for _ in range(n_queries)
        ]
        index.query(queries[0])  # warm the word cache once
        latencies = []
        for query in queries:
            started = time.perf_counter()
            index.query(query, limit=5)
            latencies.append((time.perf_counter() - started) * 1000)
        result["query_p50_ms"] = float(np.percentile(latencies, 50))
        result["query_p95_ms"] = float(np.percentile(latencies, 95))
        adds = []
        for number in range(300):
            started = time.perf_counter()
            index.add(f"new-{number}", queries[number % len(queries)])
            adds.append((time.perf_counter() - started) * 1000)
        result["add_p50_ms"] = float(np.percentile(adds, 50))
        result["add_max_ms"] = float(np.max(adds))
        latencies = []
        for query in queries[:100]:
            started = time.perf_counter()
            index.query(query, limit=5)
            latencies.append((time.perf_counter() - started) * 1000)
        result["query_after_adds_p95_ms"] = float(np.percentile(latencies, 95))
    else:
        raise SystemExit(f"unknown task {task}")
    result["peak_mib"] = peak_mib()
    result["peak_before_task_mib"] = baseline
    return result


def run_in_subprocess(task: str, n: int, seed: int, n_queries: int) -> dict[str, object]:
    command = [sys.executable, __file__, "--worker", task, "--sizes", str(n), "--seed", str(seed),
               "--queries", str(n_queries)]  # fmt: skip
    completed = subprocess.run(  # noqa: S603 -- our own interpreter and script
        command, capture_output=True, text=True, check=False, timeout=1800
    )
    if completed.returncode != 0:
        return {"task": task, "n": n, "error": completed.stderr.strip().splitlines()[-1:]}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", default="5500,50000,100000")
    parser.add_argument("--tasks", default="cold,warm,duplicates,similarity")
    parser.add_argument("--similarity-sizes", default="100000", help="sizes for the index test")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size]
    if args.worker:
        print(json.dumps(worker(args.worker, sizes[0], args.seed, args.queries)))
        return 0
    tasks = args.tasks.split(",")
    similarity_sizes = {int(size) for size in args.similarity_sizes.split(",") if size}
    results = []
    for n in sizes:
        for task in tasks:
            if task == "similarity" and n not in similarity_sizes:
                continue
            result = run_in_subprocess(task, n, args.seed, args.queries)
            results.append(result)
            print(json.dumps(result, ensure_ascii=False), flush=True)
    out = REPO / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ml_bench.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))
    print()
    print("| texts | task | wall time | peak memory | details |")
    print("|---:|---|---:|---:|---|")
    for result in results:
        if "error" in result:
            print(f"| {result['n']:,} | {result['task']} | error | | {result['error']} |")
            continue
        seconds = result.get("seconds", result.get("fit_s", 0.0))
        details = {k: v for k, v in result.items() if k not in {"task", "n", "source", "seconds",
                   "peak_mib", "peak_before_task_mib"}}  # fmt: skip
        detail_text = ", ".join(
            f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in details.items()
        )
        print(f"| {result['n']:,} | {result['task']} | {seconds:.1f} s | "
              f"{result['peak_mib'] / 1024:.2f} GiB | {detail_text} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
