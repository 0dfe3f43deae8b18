"""Schemathesis over every operation of the OpenAPI document, signed in as an admin.

Each operation gets a fresh database with seeded rows (path ids point at real rows about half
the time) and receives generated valid and invalid requests. Every answer must be a status
documented for that operation, match its schema and media type (problem+json for errors), and
never be a 5xx. The normal suite sends a few examples per operation; RELIABILITY_SCALE=full
sends many more. The last test sums the run up for docs/reliability.md.
"""

from __future__ import annotations

import os
import time
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz_support import FULL, openapi_document, seed

SCHEMA = schemathesis.openapi.from_dict(openapi_document())
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# FUZZ_EXAMPLES overrides the count for a one-off deeper local run.
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 200 if FULL else 5))
LABELS = [result.ok().label for result in SCHEMA.get_all_operations()]

# Filled by the per-operation tests; this module runs on one xdist worker (--dist loadfile).
STATUSES: Counter[str] = Counter()
FUZZED: list[str] = []
FAILED: list[str] = []
TIMING = {"seconds": 0.0}


@pytest.mark.parametrize("label", LABELS)
def test_operation_answers_as_documented_to_generated_requests(app, label):
    method, path = label.split(" ", 1)
    operation = SCHEMA[path][method]
    seeded = seed()
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @given(case=strategy, data=st.data())
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        # The app and its database are set up once for all examples of the operation.
        suppress_health_check=list(HealthCheck),
    )
    def send(case: schemathesis.Case, data: st.DataObject) -> None:
        for name in list(case.path_parameters or {}):
            real = seeded.ids.get(name)
            if real and data.draw(st.booleans(), label=f"real {name}"):
                case.path_parameters[name] = data.draw(st.sampled_from(real), label=name)
        response = case.call(app=app, headers=seeded.headers)
        STATUSES[str(response.status_code)] += 1
        case.validate_response(response, checks=CHECKS)

    started = time.perf_counter()
    try:
        send()
    except BaseException:
        FAILED.append(label)
        raise
    finally:
        TIMING["seconds"] += time.perf_counter() - started
    FUZZED.append(label)


def test_every_operation_was_fuzzed(record_figures):
    if not FUZZED and not FAILED:
        pytest.skip("the per-operation tests did not run in this process")
    record_figures(
        "schemathesis",
        {
            "scale": "full" if FULL else "short",
            "operations": len(LABELS),
            "operations_passed": len(FUZZED),
            "operations_failed": sorted(FAILED),
            "max_examples_per_operation": MAX_EXAMPLES,
            "requests": sum(STATUSES.values()),
            "statuses": dict(sorted(STATUSES.items())),
            "seconds": round(TIMING["seconds"], 1),
        },
    )
    assert not FAILED
    assert sorted(FUZZED) == sorted(LABELS)
    assert not any(status.startswith("5") for status in STATUSES)
