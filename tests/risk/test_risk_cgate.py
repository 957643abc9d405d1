"""`RiskGate.check` in C (`_cgate.Lane` with `_cgate.admit_limit_order`) decides, counts and
emits exactly what its Python reference `RiskGate._check` does, over random sessions that
visit every way off the common case: runaway counters tripping and rolling, strategies
escalating and restarting, the kill switch and its reset, venues halting and reopening,
market orders, amendments, duplicates within and across parents, published bands, venue
rejects and expiries, a saturated throttle. (The long seeded run of the same is
test_risk_cgate_stress.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from gate_session import STATUSES, Session
from hypothesis import given, settings
from hypothesis import strategies as st
from risk_rig import MS, SEC, TIGHT

from flashguard.system.risk import fastpath

pytestmark = pytest.mark.skipif(
    fastpath.IMPLEMENTATION != "c", reason="flashguard.system.risk._cgate is not built"
)


order = st.tuples(
    st.just("order"), st.integers(0, 1), st.integers(0, 1), st.integers(0, 1),
    st.sampled_from([1, -1]), st.integers(-3, 12), st.integers(1, 12),
    st.sampled_from(["limit", "limit", "limit", "market", "amend", "same"]), st.integers(0, 2),
)
step = st.one_of(
    order, order, order, order,
    st.tuples(st.just("ack"), st.integers(0, 5)),
    st.tuples(st.just("fill"), st.integers(0, 5), st.integers(1, 4), st.integers(-30, 30)),
    st.tuples(st.just("cancel"), st.integers(0, 5)),
    st.tuples(st.just("quote"), st.integers(0, 1), st.integers(-20, 20)),
    st.tuples(st.just("wait"), st.sampled_from([0, MS, 20 * MS, 60 * MS, 300 * MS, 1_100 * MS])),
    st.tuples(st.just("operator"), st.sampled_from(["kill"] + ["reset", "restart"] * 5
                                                   + ["clear"] * 2)),
    st.tuples(st.just("status"), st.integers(0, 1), st.sampled_from(STATUSES[:2])),
    st.tuples(st.just("band"), st.integers(0, 1), st.integers(-5, 600), st.integers(0, 600)),
    st.tuples(st.just("reject"), st.integers(0, 5)),
    st.tuples(st.just("expire"), st.integers(0, 5)),
    st.tuples(st.just("modified"), st.integers(0, 5), st.integers(0, 12), st.booleans()),
    st.tuples(st.just("halt"), st.integers(0, 1)),
)

@settings(max_examples=250, deadline=None)
@given(st.lists(step, min_size=30, max_size=150))
def test_the_c_lane_equals_the_python_reference(script: list[tuple[Any, ...]]) -> None:
    lane, reference = Session(TIGHT, lane=True), Session(TIGHT, lane=False)
    lane.run(script)
    reference.run(script)
    assert lane.outcome() == reference.outcome()


def test_sessions_reach_the_paths_off_the_common_case() -> None:
    """The generator is able to reach what the parity test is for: a runaway trip, a kill,
    a rejection by the rules, a duplicate."""
    s = Session(TIGHT, lane=True)
    s.run([("order", i % 2, 0, 0, 1, i, 1, "limit") for i in range(8)])
    assert [r.rule if r else None for r in s.answers] == [None] * 6 + ["message_throttle"] * 2
    s.run([("wait", SEC), ("order", 0, 0, 0, 1, 6, 1, "limit"), ("order", 0, 0, 0, 1, 6, 1, "same")])
    assert s.answers[-2] is None and s.answers[-1].rule == "duplicate_order"
    s.run([("order", 0, 1, 1, -1, i, 1, "limit") for i in range(12)])
    assert s.answers[-1].rule == "strategy_halted"
    s.run([("operator", "kill"), ("order", 1, 1, 1, -1, 2, 3, "limit")])
    assert s.answers[-1] is not None and s.answers[-1].rule == "kill_switch"
