"""`make bench`: run every bench/*_bench.py in turn; each records its own figures.

ideas_bench writes its section of docs/benchmarks.md unless told --no-write; voting_bench
and vote_cost_bench write only with --write, which this runner passes; ml_bench prints its
figures.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXTRA_ARGS = {"voting_bench.py": ["--write"], "vote_cost_bench.py": ["--write"]}


def main() -> int:
    failed = []
    for script in sorted(HERE.glob("*_bench.py")):
        print(f"== {script.name}", flush=True)
        command = [sys.executable, str(script), *EXTRA_ARGS.get(script.name, []), *sys.argv[1:]]
        if subprocess.run(command, check=False).returncode != 0:  # noqa: S603 (our own scripts)
            failed.append(script.name)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
