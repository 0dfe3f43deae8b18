"""Write pinned requirement lines from the JSON report of `pip install --dry-run --report`.

Used by `make lock`: pip's own resolver picks the versions, this only formats its answer.
"""

import json
import sys


def main(report_path: str, header: str, skip_path: str | None = None) -> None:
    with open(report_path, encoding="utf-8") as handle:
        report = json.load(handle)
    skip: set[str] = set()
    if skip_path:
        with open(skip_path, encoding="utf-8") as handle:
            skip = {line.split("==")[0].lower() for line in handle if "==" in line}
    pins = sorted(
        f"{item['metadata']['name']}=={item['metadata']['version']}"
        for item in report["install"]
        if item["metadata"]["name"].lower() not in skip
    )
    print(header)
    print("\n".join(pins))


if __name__ == "__main__":
    main(*sys.argv[1:])
