"""Whether an intent may become a parent order, and at what size: the risk directives applied
to a whole parent before any child exists (each child then passes the full gate).

- the kill switch engaged: nothing (L4);
- the strategy HALTED: nothing (L2); the risk layer's own unwind of a strategy it flattens
  (`unwind=True`, never the strategy's intents) only what moves the position toward zero,
  uncut by a size cut (the unwind must reach flat);
- a volatility size cut: the quantity scaled down (L2), refused if nothing is left;
- the strategy REDUCING, or the portfolio reduce-only: only what moves the position toward
  zero, after the parents already working on that side; an exit larger than the position is
  cut to flat, an entry refused (L2 / L3);
- the position if this and every working parent on the side filled, within max_position (L1).
"""

from __future__ import annotations

from flashguard.system.risk import Rejection, RiskGate, StrategyMode
from flashguard.system.risk.types import L1, L2, L3, L4


def admit(
    gate: RiskGate, strategy: str, instrument: str, side: int, qty: int, working_same_side: int,
    unwind: bool = False,
) -> tuple[int, Rejection | None]:
    """(lots the parent may have, None) or (0, why not)."""
    if gate.kill_engaged:
        return 0, Rejection(L4, "kill_switch", 1, 0, "kill switch engaged")
    mode = gate.strategy_mode(strategy)
    unwind = unwind and mode == StrategyMode.HALTED and gate.flattening(strategy)
    if mode == StrategyMode.HALTED and not unwind:
        return 0, Rejection(L2, "strategy_halted", int(mode), int(StrategyMode.REDUCING))
    keep = round(gate.size_multiplier(strategy) * 1000)
    if keep < 1000 and not unwind:
        cut = qty * keep // 1000
        if cut < 1:
            return 0, Rejection(L2, "size_cut", qty, 0, "volatility level 1 leaves no lot")
        qty = cut
    pos = gate.position(strategy, instrument)
    if unwind or mode == StrategyMode.REDUCING or gate.portfolio_reduce_only:
        room = (-pos if side > 0 else pos) - working_same_side
        if room <= 0:
            layer = L3 if mode == StrategyMode.ACTIVE else L2
            return 0, Rejection(layer, "reduce_only", qty, max(room, 0), "lots that reduce")
        qty = min(qty, room)
    max_position = gate.matrix.strategy(strategy).max_position
    worst = side * pos + working_same_side + qty
    if worst > max_position and L1 not in gate.disabled:  # an ablation with L1 off skips it
        return 0, Rejection(
            L1, "max_position", worst, max_position, "position + working parents + this one"
        )
    return qty, None
