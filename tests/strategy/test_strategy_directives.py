"""The engine obeys the risk directives: a REDUCING strategy may only reduce, a HALTED one
sends nothing and its parents end, the kill switch stops everything, a size cut scales
intents, a reduce_gross target is worked down."""

from __future__ import annotations

from strategy_rig import MS, SYMBOL, SYSTEM, Market, matrix

from flashguard.core.events import OrderRejected, RiskAction, RouteDecision
from flashguard.core.orders import Side
from flashguard.market.venue import VenueConfig
from flashguard.run.invariants import _Checker
from flashguard.system.risk import StrategyMode
from flashguard.system.strategy import Intent


def long_then_drop(m: Market, qty: int = 10) -> None:
    """Buy qty at 10_000, then the market falls: the position loses 0.75 dollars a lot."""
    m.rest("A", Side.BUY, 50, 9_990)
    m.rest("A", Side.SELL, 50, 10_000)
    m.settle()
    m.buy(qty, urgency="aggressive")
    m.settle()
    assert m.system.gate.position("hands", SYMBOL) == qty
    m.take("A", Side.SELL, 50, 9_990)  # the bid is hit ...
    m.rest("A", Side.BUY, 100, 9_890)  # ... the market re-bids lower
    m.take("A", Side.BUY, 40, 10_000)
    m.rest("A", Side.SELL, 100, 9_960)  # mid 9_925: 75 ticks x qty lots under water
    m.settle()


def risk_refusals(m: Market) -> list[OrderRejected]:
    return [e for e in m.events if isinstance(e, OrderRejected) and e.layer]


def test_a_reducing_strategy_may_only_reduce() -> None:
    m = Market([VenueConfig("A")], risk=matrix(drawdown_reduce=1, drawdown_halt=10**6))
    long_then_drop(m)
    assert m.system.gate.strategy_mode("hands") == StrategyMode.REDUCING
    assert m.hands.regimes[-1][0] == "preservation"
    n = len(m.submitted())
    assert m.hands.submit(Intent(SYMBOL, 1, 5, urgency="aggressive")) is None  # an entry
    refusal = risk_refusals(m)[-1]
    assert (refusal.layer, refusal.rule) == ("L2", "reduce_only")
    assert len(m.submitted()) == n
    # an exit larger than the position is cut to flat, never past it
    pid = m.hands.submit(Intent(SYMBOL, -1, 15, urgency="aggressive"))
    assert pid is not None
    route = next(d for d in m.events if isinstance(d, RouteDecision) and d.parent_id == pid)
    assert route.qty == 10
    m.settle(200 * MS)
    assert m.system.gate.position("hands", SYMBOL) == 0
    assert sum(s.qty for s in m.submitted()[n:]) == 10
    assert m.hands.submit(Intent(SYMBOL, -1, 1, urgency="aggressive")) is None  # now an entry


def test_a_halted_strategy_sends_nothing_and_its_parents_end() -> None:
    m = Market([VenueConfig("A")], risk=matrix(drawdown_reduce=1, drawdown_halt=5, on_halt="hold"))
    m.rest("A", Side.BUY, 50, 9_990)
    m.rest("A", Side.SELL, 50, 10_000)
    m.settle()
    resting = m.buy(5, limit=9_950)  # a passive parent working at the venue
    m.settle()
    long_then_drop(m)
    assert m.system.gate.strategy_mode("hands") == StrategyMode.HALTED
    t_halt = next(e.t_ns for e in m.events if isinstance(e, RiskAction)
              and e.action == "halt_strategy")
    m.settle()
    status = {s.parent_id: s for s in m.hands.done}[resting]
    assert status.state == "cancelled"  # by the REDUCING or the HALTED directive
    cancelled = [e for e in m.events if type(e).__name__ == "OrderCancelled"
                 and getattr(e, "owner", 0) == SYSTEM]
    assert sum(c.cancelled_qty for c in cancelled) == 5  # gone from the venue too
    for side in (1, -1):  # not even an exit
        assert m.hands.submit(Intent(SYMBOL, side, 1, urgency="aggressive")) is None
        assert risk_refusals(m)[-1].rule == "strategy_halted"
    m.settle()
    assert all(s.t_ns < t_halt for s in m.submitted())


def test_a_flattened_strategy_is_unwound_by_the_risk_layer_alone() -> None:
    """on_halt = "flatten": after the halt the engine works the position to flat with an
    aggressive parent of its own; the strategy's own intents are still refused, and every
    order sent after the halt only reduces the position."""
    m = Market([VenueConfig("A")],
               risk=matrix(drawdown_reduce=1, drawdown_halt=5, on_halt="flatten"))
    long_then_drop(m)
    assert m.system.gate.strategy_mode("hands") == StrategyMode.HALTED
    t_halt = next(e.t_ns for e in m.events if isinstance(e, RiskAction)
                  and e.action == "halt_strategy")
    for side in (1, -1):  # the strategy itself: not even an exit
        assert m.hands.submit(Intent(SYMBOL, side, 1, urgency="aggressive")) is None
        assert risk_refusals(m)[-1].rule == "strategy_halted"
    m.settle(500 * MS)
    assert m.system.gate.position("hands", SYMBOL) == 0
    after = [s for s in m.submitted() if s.t_ns >= t_halt]
    assert after and all(s.side == -1 for s in after)
    assert sum(s.qty for s in after) >= 10
    assert sum(f.qty for f in m.hands.fills if f.side == -1) == 10  # it hears the unwind
    # the journal's own check agrees: nothing but reducing orders from the halted strategy
    checker = _Checker()
    for seq, ev in enumerate(m.events, 1):
        checker.on_event(seq, ev)
    assert [v for v in checker.finish() if v.invariant == "halted_strategy_sends_nothing"] == []
    assert checker.flattening == {"hands"} and checker.position[("hands", SYMBOL)] == 0


def test_the_kill_switch_drops_every_parent_even_a_queued_one() -> None:
    m = Market([VenueConfig("A"), VenueConfig("B")])
    for v in "AB":
        m.rest(v, Side.BUY, 10, 9_990)
        m.rest(v, Side.SELL, 10, 10_010)
    m.settle()
    working = m.buy(5, limit=9_980)
    for v in m.venues.values():
        v.set_status(SYMBOL, "halted", "mwcb")
    m.settle()
    queued = m.buy(5, urgency="aggressive")
    m.settle()
    assert m.system.router.parents[queued].state == "queued"
    m.system.gate.kill("risk-officer", "test")
    m.settle()
    states = {s.parent_id: s.state for s in m.hands.done}
    assert states == {working: "cancelled", queued: "cancelled"}
    n = len(m.submitted())
    for v in m.venues.values():
        v.set_status(SYMBOL, "open", "reopened")
    m.rest("A", Side.SELL, 10, 10_000)
    m.settle()
    assert len(m.submitted()) == n
    assert m.hands.submit(Intent(SYMBOL, 1, 1, urgency="aggressive")) is None


def test_a_volatility_size_cut_scales_the_intent() -> None:
    m = Market([VenueConfig("A")], risk=matrix(vol_level1_bps=0.5, vol_level2_bps=10**4))
    m.hands.submit(Intent(SYMBOL, 1, 1, limit=5_000))  # the strategy now trades ABC
    mid = 10_000
    for i in range(4):  # a few one-second buckets of a moving mark
        mid += 10 * (-1) ** i
        m.rest("A", Side.BUY, 1, mid - 1)
        m.rest("A", Side.SELL, 1, mid + 1)
        m.settle(1_000 * MS)
    assert m.system.gate.size_multiplier("hands") == 0.5
    pid = m.hands.submit(Intent(SYMBOL, 1, 9, limit=9_000))
    route = next(d for d in m.decisions("route") if d.parent_id == pid)
    assert route.qty == 4  # 9 lots at half size, floored


def test_a_reduce_gross_directive_is_worked_toward_its_target() -> None:
    m = Market([VenueConfig("A")], risk=matrix(
        portfolio={"capital": 10**6, "max_gross": 500, "max_concentration": 100.0}
    ))
    m.rest("A", Side.BUY, 50, 9_990)
    m.rest("A", Side.SELL, 50, 10_000)
    m.settle()
    m.buy(10, urgency="aggressive")  # $1,000 of ABC against a $500 gross limit
    m.settle(200 * MS)
    targets = [e for e in m.events if isinstance(e, RiskAction) and e.action == "reduce_gross"]
    assert targets
    # 25% of 10 lots, rounded up to whole lots: the engine sells 3
    assert m.system.gate.position("hands", SYMBOL) == 7
    sells = [s for s in m.submitted() if s.side == -1]
    assert sum(s.qty for s in sells) == 3
    assert m.hands.submit(Intent(SYMBOL, 1, 1, urgency="aggressive")) is None
    assert risk_refusals(m)[-1].layer == "L3"  # the portfolio is reduce-only


def test_a_halted_market_maker_holding_inventory_stands_still() -> None:
    # may6 seed 13 before the fix: layer 2 halted the market maker while it was long; in
    # preservation it tried to flatten on every timer tick, and each attempt was refused
    # (17,362 refusals in 70 minutes). A halted strategy holds what it has and sends nothing.
    from flashguard.system.strategy.builtins import MarketMaker

    mm = MarketMaker(SYMBOL, half_spread=1, qty=5, max_inventory=20)
    m = Market([VenueConfig("A")], risk=matrix(drawdown_reduce=1, drawdown_halt=5),
               strategies=[mm])
    m.rest("A", Side.BUY, 50, 9_990)
    m.rest("A", Side.SELL, 50, 10_010)
    m.settle(300 * MS)
    m.rest("A", Side.SELL, 200, 9_900, owner=3)  # a seller walks through our bids ...
    m.settle(300 * MS)
    m.rest("A", Side.BUY, 10, 9_800, owner=4)  # ... and the market re-bids lower: we lose
    m.settle(2_000 * MS)
    assert m.system.gate.strategy_mode("market_maker") == StrategyMode.HALTED
    held = m.system.gate.position("market_maker", SYMBOL)
    assert held > 0
    n_rejected = len(risk_refusals(m))
    n_sent = len(m.submitted())
    m.settle(5_000 * MS)  # twenty timer ticks of a market maker that wants to flatten
    assert len(risk_refusals(m)) == n_rejected
    assert len(m.submitted()) == n_sent
    assert m.system.gate.position("market_maker", SYMBOL) == held  # held until a restart
    assert mm.halted
