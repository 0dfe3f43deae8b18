"""Run every `bench/*_bench.py` in turn (`make bench`); each writes its own section of
docs/benchmarks.md. Extra arguments are passed to every benchmark (e.g. --write)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    args = sys.argv[1:] or ["--write"]
    for script in sorted(HERE.glob("*_bench.py")):
        print(f"== {script.name}", flush=True)
        run = subprocess.run([sys.executable, str(script), *args], check=False)  # noqa: S603
        if run.returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
