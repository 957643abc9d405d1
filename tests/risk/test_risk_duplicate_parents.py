"""The duplicate-order rule judges what a strategy sent, not the router's slices of it: the
children of one parent (`RiskOrder.parent_id`) are never duplicates of each other, while two
different parents, or orders sent without one, repeating the same side, price and quantity
on one venue within the window still are. Run through `RiskGate.check` as built (the C twin
when it is) and through its Python reference."""

from __future__ import annotations

import pytest
from risk_rig import MS, ROOMY, SEC, Rig, matrix

WINDOW = 50 * MS


@pytest.fixture(params=["check", "python"])
def rig(request: pytest.FixtureRequest) -> Rig:
    r = Rig(matrix(strategy_defaults={**ROOMY, "duplicate_window_ms": 50}))
    if request.param == "python":
        r.gate.check = r.gate._check
    r.at(SEC).market("ABC", 9_999, 10_001)
    return r


def verdict(rig: Rig, **kw: object) -> str | None:
    r = rig.gate.check(rig.order(price=10_000, qty=10, **kw))  # type: ignore[arg-type]
    return None if r is None else r.rule


def test_one_parent_fragmented_into_equal_children_passes(rig: Rig) -> None:
    t = rig.clock.now_ns()
    # 40 children of 10 lots at one price on one venue inside one window (the router used
    # to get at most 10 + 9 + ... + 1 = 55 lots through per venue and price)
    answers = [verdict(rig, parent="P1", t=t + i * MS // 2) for i in range(40)]
    assert answers == [None] * 40
    assert rig.gate.open_orders() == 40
    assert rig.rejections() == []


def test_two_identical_intents_within_the_window_are_duplicates(rig: Rig) -> None:
    t = rig.clock.now_ns()
    assert verdict(rig, parent="P1", t=t) is None
    assert verdict(rig, parent="P2", t=t + WINDOW - 1) == "duplicate_order"
    assert verdict(rig, parent="P2", t=t + WINDOW) is None  # the window has passed
    # now P2 sent it last: P1 repeating it inside P2's window is the duplicate
    assert verdict(rig, parent="P1", t=t + WINDOW + 1) == "duplicate_order"
    [rejected, _] = [a for a in rig.actions("reject")]
    assert rejected.value == WINDOW - 1 and rejected.limit == WINDOW
    assert "parent P1" in rejected.detail


def test_orders_without_a_parent_are_each_their_own_intent(rig: Rig) -> None:
    t = rig.clock.now_ns()
    assert verdict(rig, t=t) is None
    assert verdict(rig, t=t + 1) == "duplicate_order"
    # a child does not repeat a lone order either way round
    assert verdict(rig, parent="P1", t=t + 2) == "duplicate_order"
    assert verdict(rig, parent="P1", t=t + WINDOW) is None
    assert verdict(rig, t=t + WINDOW + 1) == "duplicate_order"


def test_a_refused_repeat_is_not_remembered(rig: Rig) -> None:
    """P2's refused child does not become the last sender: P1 goes on slicing."""
    t = rig.clock.now_ns()
    assert verdict(rig, parent="P1", t=t) is None
    assert verdict(rig, parent="P2", t=t + 1) == "duplicate_order"
    assert verdict(rig, parent="P1", t=t + 2) is None


def test_a_reused_client_order_id_is_a_duplicate_whatever_the_parent(rig: Rig) -> None:
    assert verdict(rig, parent="P1", cid="c1") is None
    assert verdict(rig, parent="P1", cid="c1", side=-1) == "duplicate_order"


def test_the_memory_keeps_the_parent_across_its_generations(rig: Rig) -> None:
    t = rig.clock.now_ns()
    assert rig.gate.check(rig.order(price=9_990, qty=1, t=t)) is None  # opens [t, t + window)
    assert verdict(rig, parent="P1", t=t + WINDOW - 10) is None
    assert rig.gate.check(rig.order(price=9_991, qty=1, t=t + WINDOW)) is None  # rotates
    v = rig.gate.state.view("s1", "XNAS", "ABC")
    assert (t + WINDOW - 10, "P1") in v.recent_old.values()
    assert verdict(rig, parent="P2", t=t + WINDOW + 5) == "duplicate_order"
    assert verdict(rig, parent="P1", t=t + WINDOW + 6) is None
    assert (t + WINDOW + 6, "P1") in v.recent.values()
