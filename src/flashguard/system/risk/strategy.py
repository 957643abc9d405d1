"""Layer 2, strategy: each strategy as its fills and marks arrive.

ACTIVE -> REDUCING (reduce-only: exits allowed, entries rejected) -> HALTED (working orders
cancelled, no new orders; with on_halt = "flatten" the risk layer unwinds its positions, and
only orders that reduce them pass). Triggers only move a strategy up that scale; a halted or
reducing strategy returns to ACTIVE only by an explicit, journaled restart. The volatility
level 1 is not a mode: it cuts order sizes while it lasts and lifts by itself when volatility
falls.

Each trigger is a pure function of the strategy's state returning a `Breach` or None; the gate
applies the action. The per-order checks here follow the pre-trade rule signature.
"""

from __future__ import annotations

from flashguard.system.risk.ledger import PositionBook, StrategyBook
from flashguard.system.risk.limits import MICROS, OrderLimits
from flashguard.system.risk.state import View
from flashguard.system.risk.types import L2, Breach, Rejection, RiskOrder, StrategyMode

REDUCE_ONLY = "reduce_only"
HALT = "halt_strategy"
REDUCE_SIZE = "reduce_size"
RESTORE_SIZE = "restore_size"
RESTART = "restart_strategy"
FLATTEN = "flatten_strategy"

MODE_OF = {REDUCE_ONLY: StrategyMode.REDUCING, HALT: StrategyMode.HALTED}


# --- per order -------------------------------------------------------------------------------


def reduce_room(o: RiskOrder, v: View) -> int:
    """Lots this order may trade and still only move the position toward zero, after the
    working and in-flight orders on the same side (an amendment's own old size excluded)."""
    b = v.book
    if o.side > 0:
        room = -b.pos - b.open_buy
    else:
        room = b.pos - b.open_sell
    if o.replaces:
        rec = v.orders.get(o.replaces)
        if rec is not None:
            room += rec.leaves
    return room


def strategy_halted(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    """HALTED sends nothing, except the risk layer's unwind of a strategy it flattens: an
    order that only moves the position toward zero (as in REDUCING)."""
    if v.strategy.mode == StrategyMode.HALTED:
        if v.strategy.flatten and o.qty <= reduce_room(o, v):
            return None
        return Rejection(L2, "strategy_halted", StrategyMode.HALTED, StrategyMode.REDUCING)
    return None


def strategy_reduce_only(o: RiskOrder, v: View, lim: OrderLimits) -> Rejection | None:
    """In REDUCING an order may only move the position toward zero: from flat, any order is an
    entry; a sell larger than the long (less the sells already working) would open a short."""
    if v.strategy.mode == StrategyMode.REDUCING:
        room = reduce_room(o, v)
        if o.qty > room:
            return Rejection(L2, "reduce_only", o.qty, max(room, 0), "lots that reduce")
    return None


# --- triggers --------------------------------------------------------------------------------


def drawdown(sb: StrategyBook) -> Breach | None:
    """Equity (cash + positions at the mark) below its high-water mark, in currency."""
    dd = sb.hwm - sb.equity
    lim = sb.limits
    if dd > lim.drawdown_halt:
        return Breach("drawdown", dd / MICROS, lim.drawdown_halt / MICROS, HALT)
    if dd > lim.drawdown_reduce:
        return Breach("drawdown", dd / MICROS, lim.drawdown_reduce / MICROS, REDUCE_ONLY)
    return None


def drawdown_fraction(equity: int, hwm: int, capital: int) -> float:
    """How far the account (capital + equity, equity in micros since the session began) is
    below its peak (capital + hwm), as a fraction of that peak: 0.0 at or above it, 1.0 when
    the peak is lost entirely."""
    dd = hwm - equity
    if dd <= 0:
        return 0.0
    peak = capital * MICROS + hwm
    return 1.0 if dd >= peak else dd / peak


def volatility_level(sb: StrategyBook) -> tuple[int, float]:
    """The level (0, 1, 2) from the most volatile instrument the strategy trades."""
    vol = max((pb.market.vol.vol_bps for pb in sb.positions.values()), default=0.0)
    lim = sb.limits
    if vol > lim.vol_level2_bps:
        return 2, vol
    if vol > lim.vol_level1_bps:
        return 1, vol
    return 0, vol


def volatility(sb: StrategyBook) -> Breach | None:
    """A change of volatility level: level 2 halts, level 1 cuts sizes, level 0 restores."""
    level, vol = volatility_level(sb)
    if level == sb.vol_level:
        return None
    lim = sb.limits
    if level == 2:
        return Breach("volatility", vol, lim.vol_level2_bps, HALT, "level 2")
    if level == 1:
        return Breach("volatility", vol, lim.vol_level1_bps, REDUCE_SIZE, "level 1")
    return Breach("volatility", vol, lim.vol_level1_bps, RESTORE_SIZE, "level 0")


def concentration(pb: PositionBook) -> Breach | None:
    """One instrument's exposure as a fraction of the strategy's capital."""
    lim = pb.strategy.limits
    exposure = abs(pb.exposure())
    if exposure > lim.concentration:
        capital = lim.concentration / lim.max_concentration
        return Breach(
            "concentration", exposure / capital, lim.max_concentration, REDUCE_ONLY,
            pb.market.symbol,
        )
    return None


def repeated_executions(sb: StrategyBook, t_ns: int) -> Breach | None:
    """More fills than allowed inside the execution window (a loop trading against itself,
    or a strategy caught in a hot-potato exchange)."""
    fills = sb.executions
    horizon = t_ns - sb.limits.execution_window_ns
    while fills and fills[0] <= horizon:
        fills.popleft()
    n = len(fills)
    if n > sb.limits.max_executions:
        return Breach("repeated_executions", n, sb.limits.max_executions, HALT)
    return None


def message_runaway(sb: StrategyBook) -> Breach:
    """The strategy's message bucket ran dry: more than max_messages in its window."""
    return Breach(
        "message_runaway", sb.limits.max_messages + 1, sb.limits.max_messages, HALT,
        f"per {sb.limits.message_window_ns} ns",
    )
