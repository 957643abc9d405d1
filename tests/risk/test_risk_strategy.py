"""Layer 2: ACTIVE -> REDUCING -> HALTED, each trigger at its boundary, and what each mode
allows."""

from __future__ import annotations

import math

import pytest
from risk_rig import MS, ROOMY, SEC, Rig, matrix

from flashguard.core.events import OrderAccepted, OrderCancelled, Quote
from flashguard.system.risk import strategy as l2
from flashguard.system.risk.types import StrategyMode


def make(**strategy: object) -> Rig:
    rig = Rig(matrix(strategy_defaults={**ROOMY, **strategy}))
    rig.at(SEC).market("ABC", 9_999, 10_001)
    return rig


def mark(rig: Rig, mid: int, symbol: str = "ABC") -> None:
    rig.feed(Quote(rig.clock.now_ns(), "ALL", symbol, mid - 1, 10, mid + 1, 10))


def long(rig: Rig, qty: int, price: int = 10_001, strategy: str = "s1") -> None:
    o = rig.send(rig.order(side=1, qty=qty, price=price, strategy=strategy))
    rig.fill(o)


# --- reduce-only ----------------------------------------------------------------------------


def reducing(rig: Rig, strategy: str = "s1") -> None:
    rig.gate.state.strategy(strategy).mode = StrategyMode.REDUCING


def test_reduce_only_rejects_an_opening_buy_from_flat() -> None:
    rig = make()
    reducing(rig)
    r = rig.gate.check(rig.order(side=1, qty=1))
    assert r is not None and (r.layer, r.rule, r.value, r.limit) == ("L2", "reduce_only", 1, 0)
    r = rig.gate.check(rig.order(side=-1, qty=1, price=10_010))
    assert r is not None and r.rule == "reduce_only"  # a short from flat is an entry too


def test_reduce_only_allows_exits_but_not_a_flip() -> None:
    rig = make()
    long(rig, 5)
    reducing(rig)
    assert rig.gate.check(rig.order(side=1, qty=1, price=9_990)) is not None  # adds
    assert rig.gate.check(rig.order(side=-1, qty=6, price=10_010)) is not None  # would flip
    working = rig.send(rig.order(side=-1, qty=3, price=10_010))  # a reducing exit
    assert rig.gate.check(rig.order(side=-1, qty=3, price=10_011)) is not None  # 3 + 3 > 5
    assert rig.gate.check(rig.order(side=-1, qty=2, price=10_012)) is None  # 3 + 2 = 5
    assert working.qty == 3


def test_entering_reducing_cancels_only_the_entries() -> None:
    rig = make(drawdown_reduce=50, drawdown_halt=100)
    long(rig, 10, price=10_000)
    entry = rig.send(rig.order(side=1, qty=2, price=9_000))
    exit_ = rig.send(rig.order(side=-1, qty=2, price=10_500))
    mark(rig, 9_499)  # equity -50.1 from its high-water mark
    assert rig.gate.strategy_mode("s1") == StrategyMode.REDUCING
    assert [c.order_id for c in rig.cancels] == [entry.order_id]
    assert exit_.order_id not in {c.order_id for c in rig.cancels}


# --- drawdown, marked to market --------------------------------------------------------------


def test_drawdown_from_the_high_water_mark_at_the_mark() -> None:
    # 10 lots of a one-cent tick: each tick of mark is $0.10 of equity
    rig = make(drawdown_reduce=50, drawdown_halt=100)
    long(rig, 10, price=10_000)  # bought at 10_000 (the mid is 10_000: no edge)
    mark(rig, 10_300)  # +$30: the high-water mark, with no trade closed
    mark(rig, 9_801)  # drawdown $49.90, just below the limit
    assert rig.gate.strategy_mode("s1") == StrategyMode.ACTIVE
    mark(rig, 9_800)  # -$20: drawdown $50, at the limit
    assert rig.gate.strategy_mode("s1") == StrategyMode.ACTIVE
    mark(rig, 9_799)  # drawdown $50.10
    assert rig.gate.strategy_mode("s1") == StrategyMode.REDUCING
    [action] = rig.actions("reduce_only")
    assert (action.layer, action.rule, action.strategy) == ("L2", "drawdown", "s1")
    assert action.value == pytest.approx(50.1) and action.limit == 50
    mark(rig, 9_301)  # drawdown $99.90: just below the halt limit
    assert rig.gate.strategy_mode("s1") == StrategyMode.REDUCING
    mark(rig, 9_300)  # drawdown $100: at the halt limit
    assert rig.gate.strategy_mode("s1") == StrategyMode.REDUCING
    mark(rig, 9_299)
    assert rig.gate.strategy_mode("s1") == StrategyMode.HALTED


def test_a_recovery_does_not_lift_a_mode_by_itself() -> None:
    rig = make(drawdown_reduce=50, drawdown_halt=100)
    long(rig, 10, price=10_000)
    mark(rig, 8_999)
    mark(rig, 11_000)
    assert rig.gate.strategy_mode("s1") == StrategyMode.HALTED


# --- halt ------------------------------------------------------------------------------------


def test_a_halt_cancels_working_orders_and_blocks_new_ones() -> None:
    rig = make(drawdown_reduce=50, drawdown_halt=100, on_halt="hold")
    long(rig, 10, price=10_000)
    working = rig.send(rig.order(side=-1, qty=2, price=10_500))
    in_flight = rig.send(rig.order(side=1, qty=1, price=9_000, order_id=0), ack=False)
    other = rig.send(rig.order(side=1, qty=1, price=9_900, strategy="s2"))
    mark(rig, 8_999)  # -$100.1
    assert rig.gate.strategy_mode("s1") == StrategyMode.HALTED
    assert [c.order_id for c in rig.cancels] == [working.order_id]  # not s2's order
    r = rig.gate.check(rig.order(side=-1, qty=1, price=9_000))
    assert r is not None and (r.layer, r.rule) == ("L2", "strategy_halted")
    # the order in flight had no venue id: it is cancelled the moment it is acknowledged
    rig.feed(OrderAccepted(rig.clock.now_ns(), "XNAS", "ABC", 99, in_flight.client_order_id, 7,
                           1, 1, 1, 9_000, 1))
    assert rig.cancels[-1].order_id == 99
    assert other.order_id not in {c.order_id for c in rig.cancels}


def test_a_flattening_halt_passes_only_orders_that_reduce() -> None:
    """on_halt = "flatten": the halt still cancels every working order (exits too: the unwind
    starts from a clean slate) and says the risk layer unwinds the position; from then on layer
    2 passes exactly what a reduce-only strategy could send, nothing more."""
    rig = make(drawdown_reduce=50, drawdown_halt=100, on_halt="flatten")
    long(rig, 10, price=10_000)
    in_flight = rig.send(rig.order(side=-1, qty=2, price=10_100, order_id=0), ack=False)
    mark(rig, 8_999)  # -$100.1
    assert rig.gate.strategy_mode("s1") == StrategyMode.HALTED
    assert rig.gate.flattening("s1")
    [halt, flatten] = [a for a in rig.actions() if a.action in (l2.HALT, l2.FLATTEN)]
    assert (flatten.layer, flatten.rule, flatten.value, flatten.strategy) == (
        "L2", "drawdown", 10.0, "s1")
    assert flatten.detail.endswith("ABC +10") and flatten.t_ns == halt.t_ns
    now = rig.clock.now_ns()
    rig.feed(OrderAccepted(now, "XNAS", "ABC", 99, in_flight.client_order_id, 7, -1, 1, 1,
                           10_100, 2))
    assert [c.order_id for c in rig.cancels] == [99]  # sent before the halt: cancelled
    rig.feed(OrderCancelled(now, "XNAS", "ABC", 99, in_flight.client_order_id, 7, 2, "user"))
    unwind = rig.send(rig.order(side=-1, qty=3, price=8_990, order_id=0), ack=False)
    rig.feed(OrderAccepted(now, "XNAS", "ABC", 100, unwind.client_order_id, 7, -1, 1, 1,
                           8_990, 3))
    assert [c.order_id for c in rig.cancels] == [99]  # the unwind's own: kept
    # 3 lots of sells work: 7 more reduce (to flat, not past it); 8 would flip; a buy adds
    for side, qty, passes in [(1, 1, False), (-1, 8, False), (-1, 7, True), (-1, 1, False)]:
        r = rig.gate.check(rig.order(side=side, qty=qty, price=8_990 if side < 0 else 9_000))
        assert (r is None) == passes, (side, qty, r)
        assert r is None or (r.layer, r.rule) == ("L2", "strategy_halted")


def test_a_fill_that_lands_after_the_halt_is_flattened_too() -> None:
    """A buy working at the halt is cancelled, but the venue may fill it first: that fill is
    news layer 2 says (a second flatten_strategy, rule late_fill), so the unwind covers it."""
    rig = make(drawdown_reduce=50, drawdown_halt=100, on_halt="flatten")
    long(rig, 10, price=10_000)
    working = rig.send(rig.order(side=1, qty=3, price=9_000))
    mark(rig, 8_999)
    assert [c.order_id for c in rig.cancels] == [working.order_id]
    assert [a.value for a in rig.actions(l2.FLATTEN)] == [10.0]
    rig.fill(working)  # filled before the cancel reached the venue
    late = rig.actions(l2.FLATTEN)[-1]
    assert (late.rule, late.value, late.detail[-7:]) == ("late_fill", 13.0, "ABC +13")
    unwind = rig.send(rig.order(side=-1, qty=5, price=8_990))
    rig.fill(unwind)  # the unwind's own fills reduce: nothing more to say
    assert len(rig.actions(l2.FLATTEN)) == 2


def test_hold_and_agency_halts_are_not_flattened() -> None:
    for on_halt, agency in (("hold", False), ("flatten", True)):
        rig = make(drawdown_reduce=50, drawdown_halt=100, on_halt=on_halt)
        if agency:
            rig.gate.set_agency("s1")  # a client's order: its position is the client's
        long(rig, 10, price=10_000)
        mark(rig, 8_999)
        assert rig.gate.strategy_mode("s1") == StrategyMode.HALTED
        assert not rig.gate.flattening("s1")
        assert rig.actions(l2.FLATTEN) == []
        r = rig.gate.check(rig.order(side=-1, qty=1, price=8_990))  # not even an exit
        assert r is not None and r.rule == "strategy_halted"


def test_a_halt_holding_nothing_says_no_flatten() -> None:
    rig = make(drawdown_reduce=50, drawdown_halt=100, on_halt="flatten")
    long(rig, 10, price=10_000)
    rig.fill(rig.send(rig.order(side=-1, qty=10, price=10_000)))  # flat again
    sb = rig.gate.state.strategy("s1")
    rig.gate._escalate(sb, l2.message_runaway(sb), rig.clock.now_ns())  # any halt trigger
    assert rig.gate.strategy_mode("s1") == StrategyMode.HALTED
    assert rig.gate.flattening("s1") and rig.actions(l2.FLATTEN) == []


def test_a_restart_ends_the_flattening() -> None:
    rig = make(drawdown_reduce=50, drawdown_halt=100, on_halt="flatten")
    long(rig, 10, price=10_000)
    mark(rig, 8_999)
    assert rig.gate.flattening("s1")
    rig.gate.restart_strategy("s1", "risk-officer", "unwind stopped by hand")
    assert not rig.gate.flattening("s1")
    assert rig.gate.check(rig.order(side=1, qty=1, price=8_990)) is None  # ACTIVE again


def test_restart_is_an_authorised_journaled_decision() -> None:
    rig = make()
    rig.gate.state.strategy("s1").mode = StrategyMode.HALTED
    with pytest.raises(PermissionError, match="intern"):
        rig.gate.restart_strategy("s1", "intern", "looks fine")
    with pytest.raises(ValueError, match="reason"):
        rig.gate.restart_strategy("s1", "risk-officer", " ")
    assert rig.gate.strategy_mode("s1") == StrategyMode.HALTED
    rig.at(5 * SEC)
    rig.gate.restart_strategy("s1", "risk-officer", "feed fixed")
    assert rig.gate.strategy_mode("s1") == StrategyMode.ACTIVE
    [action] = rig.actions("restart_strategy")
    assert action.t_ns == 5 * SEC and "risk-officer" in action.detail
    assert "feed fixed" in action.detail
    assert rig.gate.check(rig.order(side=1, qty=1, t=5 * SEC)) is None


def test_a_restart_after_a_drawdown_halt_rebases_the_high_water_mark() -> None:
    rig = make(drawdown_reduce=50, drawdown_halt=100)
    long(rig, 10, price=10_000)  # $0.10 of equity per tick of mark
    mark(rig, 10_300)  # +$30: the high-water mark
    mark(rig, 9_299)  # -$70.10: $100.10 below it
    assert rig.gate.strategy_mode("s1") == StrategyMode.HALTED
    rig.gate.restart_strategy("s1", "risk-officer", "new budget")
    sb = rig.gate.state.strategy("s1")
    assert sb.hwm == sb.equity == -70_100_000  # micros: the peak is now
    [action] = rig.actions("restart_strategy")
    assert "rebased to equity -70.1 (was 30)" in action.detail
    assert rig.gate.drawdown("s1") == 0.0
    mark(rig, 9_298)  # one tick lower: $0.10 below the new peak, not $100.20 below the old
    assert rig.gate.strategy_mode("s1") == StrategyMode.ACTIVE
    # a fresh loss from the new peak (-$70.10) is judged on the same thresholds
    mark(rig, 8_799)  # $50 below it: at the limit
    assert rig.gate.strategy_mode("s1") == StrategyMode.ACTIVE
    mark(rig, 8_798)  # $50.10
    assert rig.gate.strategy_mode("s1") == StrategyMode.REDUCING
    mark(rig, 8_298)  # $100.10
    assert rig.gate.strategy_mode("s1") == StrategyMode.HALTED
    halts = rig.actions("halt_strategy")
    assert len(halts) == 2 and halts[-1].value == pytest.approx(100.1)


def test_a_restart_leaves_the_portfolios_high_water_mark_alone() -> None:
    rig = make(drawdown_reduce=50, drawdown_halt=100)
    long(rig, 10, price=10_000)
    mark(rig, 10_300)
    mark(rig, 9_299)
    rig.gate.restart_strategy("s1", "risk-officer", "new budget")
    st = rig.gate.state
    assert (st.hwm, st.equity) == (30_000_000, -70_100_000)  # L4 still sees the whole loss


# --- volatility ------------------------------------------------------------------------------


def returns_of(rig: Rig, bps: float, seconds: int) -> None:
    """Marks that move by `bps` each second (log return), then one more bucket to close."""
    t0 = rig.clock.now_ns()
    price = 10_000.0
    for i in range(seconds + 1):
        rig.at(t0 + (i + 1) * SEC)
        mark(rig, round(price))
        price *= math.exp(bps / 10_000)
    rig.at(rig.clock.now_ns() + SEC)
    mark(rig, round(price / math.exp(bps / 10_000)))


def test_volatility_level_1_cuts_sizes_and_lifts_when_calm() -> None:
    rig = make(vol_level1_bps=40.0, vol_level2_bps=120.0, vol_size_cut=0.5, max_order_qty=10,
               reference_max_age_ms=600_000)
    rig.send(rig.order(qty=1, price=9_990))  # the strategy trades ABC
    returns_of(rig, 50, 1)  # one 50 bps return over the window: 50 > 40
    sb = rig.gate.state.strategy("s1")
    assert sb.vol_level == 1 and rig.gate.size_multiplier("s1") == 0.5
    [action] = rig.actions("reduce_size")
    assert action.rule == "volatility" and action.value == pytest.approx(50, abs=1)
    r = rig.gate.check(rig.order(qty=6, price=9_990))
    assert r is not None and (r.rule, r.limit) == ("max_order_qty", 5)
    assert rig.gate.check(rig.order(qty=5, price=9_991)) is None
    # 60 calm seconds push the move out of the window
    t = rig.clock.now_ns()
    for i in range(62):
        rig.at(t + (i + 1) * SEC)
        mark(rig, rig.gate.state.markets["ABC"].mark)
    assert rig.gate.size_multiplier("s1") == 1.0
    assert rig.actions("restore_size")


def test_volatility_boundary_and_level_2_halt() -> None:
    rig = make(vol_level1_bps=40.0, vol_level2_bps=120.0, reference_max_age_ms=600_000)
    rig.send(rig.order(qty=1, price=9_990))
    returns_of(rig, 39, 1)
    assert rig.gate.state.strategy("s1").vol_level == 0
    returns_of(rig, 125, 1)  # sqrt(39^2 + 2 x 125^2)-ish > 120
    assert rig.gate.strategy_mode("s1") == StrategyMode.HALTED
    [action] = rig.actions("halt_strategy")
    assert action.rule == "volatility" and action.value > 120


@pytest.mark.parametrize(
    ("vol", "level"),
    [(39.99, 0), (40.0, 0), (40.01, 1), (119.99, 1), (120.0, 1), (120.01, 2)],
)
def test_volatility_levels_at_their_boundaries(vol: float, level: int) -> None:
    rig = make(vol_level1_bps=40.0, vol_level2_bps=120.0)
    rig.gate.state.position("s1", "ABC")  # the strategy trades ABC
    rig.gate.state.markets["ABC"].vol.vol_bps = vol
    sb = rig.gate.state.strategy("s1")
    assert l2.volatility_level(sb) == (level, vol)
    breach = l2.volatility(sb)  # from level 0: a change only at level 1 or 2
    if level == 0:
        assert breach is None
    else:
        assert breach is not None and breach.value == vol
        assert (breach.action, breach.limit) == (
            ("reduce_size", 40.0) if level == 1 else ("halt_strategy", 120.0)
        )


# --- concentration ---------------------------------------------------------------------------


def test_concentration_boundary_at_the_mark() -> None:
    # capital $1,000, at most 50% in one instrument: $500
    rig = make(capital=1_000, max_concentration=0.5)
    mark(rig, 9_999)
    long(rig, 5, price=9_999)  # $499.95: just below
    assert rig.gate.strategy_mode("s1") == StrategyMode.ACTIVE
    mark(rig, 10_000)  # $500: at the limit
    assert rig.gate.strategy_mode("s1") == StrategyMode.ACTIVE
    mark(rig, 10_001)  # $500.05: just above
    assert rig.gate.strategy_mode("s1") == StrategyMode.REDUCING
    [action] = rig.actions("reduce_only")
    assert action.rule == "concentration" and action.value == pytest.approx(0.50005)


def test_concentration_of_one_instrument_against_capital() -> None:
    # capital $1,000, at most 50% in one instrument: $500 = 5 shares at $100
    rig = make(capital=1_000, max_concentration=0.5)
    long(rig, 5, price=10_000)
    assert rig.gate.strategy_mode("s1") == StrategyMode.ACTIVE
    long(rig, 1, price=10_000)
    assert rig.gate.strategy_mode("s1") == StrategyMode.REDUCING
    [action] = rig.actions("reduce_only")
    assert (action.rule, action.detail) == ("concentration", "ABC")
    assert action.value == pytest.approx(0.6) and action.limit == 0.5


# --- runaway messages and repeated executions -------------------------------------------------


def test_message_runaway_halts_the_strategy() -> None:
    rig = make(max_messages=5, message_window_ms=1_000)
    t = 2 * SEC  # a window starts here
    for i in range(4):
        assert rig.gate.check(rig.order(price=9_990 + i, t=t + i)) is None
    rig.gate.check_cancel("s1", "XNAS", t + 4)  # the 5th message: at the limit
    assert rig.gate.strategy_mode("s1") == StrategyMode.ACTIVE
    r = rig.gate.check(rig.order(price=9_980, t=t + 5))
    assert r is not None and (r.layer, r.rule) == ("L2", "strategy_halted")
    [action] = rig.actions("halt_strategy")
    assert (action.rule, action.value, action.limit) == ("message_runaway", 6, 5)
    assert len(rig.cancels) == 4  # its working orders went
    # another strategy is unaffected
    assert rig.gate.check(rig.order(price=9_980, t=t + 6, strategy="s2")) is None


def test_repeated_executions_in_a_short_window_halt() -> None:
    rig = make(max_executions=3, execution_window_ms=100)
    t = rig.clock.now_ns()
    orders = [rig.send(rig.order(price=9_990 + i, qty=2)) for i in range(3)]
    for i, o in enumerate(orders[:2]):
        rig.fill(o, t=t + i * MS)
    rig.fill(orders[2], qty=1, t=t + 2 * MS)  # 3 fills in 100 ms: at the limit
    assert rig.gate.strategy_mode("s1") == StrategyMode.ACTIVE
    rig.fill(orders[2], qty=1, t=t + 100 * MS + 1)  # the first fill has left the window
    assert rig.gate.strategy_mode("s1") == StrategyMode.ACTIVE
    o = rig.send(rig.order(price=9_980, qty=1))
    rig.fill(o, t=t + 100 * MS + 2)  # 4 fills within the last 100 ms
    assert rig.gate.strategy_mode("s1") == StrategyMode.HALTED
    [action] = rig.actions("halt_strategy")
    assert (action.rule, action.value, action.limit) == ("repeated_executions", 4, 3)


def test_an_operator_halt_is_layer_2s_halt_with_who_and_why() -> None:
    """halt_strategy: the operator's halt cancels the strategy's orders and, with on_halt =
    "flatten", unwinds it, as a limit's halt does; it acts with layer 2's rules switched off
    too (a person's decision is not an automatic rule), and says so once."""
    for disabled in (frozenset(), frozenset({"L2"})):
        rig = Rig(matrix(strategy_defaults={**ROOMY, "on_halt": "flatten"}), disabled=disabled)
        rig.at(SEC).market("ABC", 9_999, 10_001)
        long(rig, 10, price=10_000)
        working = rig.send(rig.order(side=1, qty=2, price=9_990))
        with pytest.raises(ValueError, match="reason=''"):
            rig.gate.halt_strategy("s1", "risk-officer", "")
        assert rig.gate.halt_strategy("s1", "risk-officer", "manual oversight")
        assert rig.gate.strategy_mode("s1") == StrategyMode.HALTED
        assert [c.order_id for c in rig.cancels] == [working.order_id]
        [halt] = rig.actions(l2.HALT)
        assert (halt.layer, halt.rule, halt.detail) == (
            "L2", "manual", "by=risk-officer: manual oversight")
        assert [a.detail[-7:] for a in rig.actions(l2.FLATTEN)] == ["ABC +10"]
        assert not rig.gate.halt_strategy("s1", "risk-officer", "again")
        assert len(rig.actions(l2.HALT)) == 1
