"""Every route × every role answers as the permission table says (issue #8, «Access»)."""

from __future__ import annotations

from tests.access import snapshot
from tests.access.matrix import ROLES, agrees, build_checks, observed, route_methods, rules_of
from tests.access.permissions import TABLE
from tests.access.rules import Outcome


def test_every_route_of_the_app_is_in_the_permission_table(world):
    routes = route_methods(world.app)
    assert sorted(set(routes) - set(TABLE)) == [], "classify these new routes in TABLE"
    assert sorted(set(TABLE) - set(routes)) == [], "these routes are gone: remove them"
    for endpoint, methods in routes.items():
        covered = set()
        for rule in rules_of(endpoint):
            assert rule.methods is None or set(rule.methods) <= methods, endpoint
            covered |= set(rule.methods or methods)
        assert covered == methods, f"{endpoint}: methods {methods - covered} not classified"


def test_every_route_answers_every_role_as_the_table_says(world, record_figures):
    """Reads first, then writes; a refused write must leave every table as it was, and the
    rows an allowed write changed are put back so the next check sees the same scenario."""
    checks = build_checks(world.app, world.scenario)
    baseline = snapshot.take()
    wrong: list[str] = []
    denials = 0
    reads = [c for c in checks if not c.is_write]
    writes = [c for c in checks if c.is_write]
    for check in reads:
        for role in ROLES:
            expected = check.rule.expect(role)
            response = world.call(role, check.method, check.path)
            denials += expected is not Outcome.ALLOW
            if not agrees(expected, response, write=False):
                wrong.append(f"{role:>10} {check}: expected {expected}, got {observed(response)}")
    snapshot.restore(baseline, snapshot.changed_tables(baseline))
    for check in writes:
        for role in ROLES:
            expected = check.rule.expect(role)
            mark = snapshot.write_mark()
            response = world.call(role, check.method, check.path, check.body)
            denials += expected is not Outcome.ALLOW
            if not agrees(expected, response, write=True):
                wrong.append(f"{role:>10} {check}: expected {expected}, got {observed(response)}")
            if snapshot.write_mark() == mark:
                continue
            changed = snapshot.changed_tables(baseline)
            if changed and expected is not Outcome.ALLOW:
                wrong.append(f"{role:>10} {check}: refused, yet changed {changed}")
            if changed:
                snapshot.restore(baseline, changed)
    assert wrong == [], "\n" + "\n".join(wrong)
    record_figures(
        "access",
        {
            "routes": len(TABLE),
            "route_methods": sum(len(m) for m in route_methods(world.app).values()),
            "roles": len(ROLES),
            "checks": len(checks) * len(ROLES),
            "read_checks": len(reads) * len(ROLES),
            "write_checks": len(writes) * len(ROLES),
            "denials_verified": denials,
        },
    )
