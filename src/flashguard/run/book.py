"""The book of strategies a run trades: the default desk, or the user's specs.

The default desk is what a trading firm has on when a crash hits: a momentum strategy, a
market maker, and a client's sell order worked by TWAP over most of the session. The client's
order is agency business: its fills are the client's position, so the desk's P&L, exposure
and drawdown are its own strategies' (the risk layers still judge every child order). The
order's size stays inside the default matrix's per-strategy position limit, so the defaults
run as shipped.

A spec is "path/to/file.py:Class" or "module:Class" (loaded by `load_strategy`), or the name
of one of the default desk's strategies. A class whose constructor takes `instrument` is
given the scenario's symbol; anything else is constructed with no arguments.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from flashguard.market.scenario import Scenario
from flashguard.system.strategy import Strategy, load_strategy
from flashguard.system.strategy.builtins import (
    MarketMaker,
    MeanReversion,
    Momentum,
    PovOrder,
    TwapOrder,
)
from flashguard.system.strategy.loader import StrategyLoadError

CLIENT_ORDER_LOTS = 400  # within the default matrix's max_position of 500
CLIENT_ORDER_SHARE = 0.75  # of the session: the TWAP finishes before the run ends
TWAP_SLICES = 40
# The desk's market maker: its own inventory cap is a last resort (within layer 1's
# max_position of 500); leaning 1 tick per 50 lots against its inventory keeps it near flat
# in a normal market, and layer 2 is what takes it out of a one-way market
MM_MAX_INVENTORY = 300
MM_SKEW_TICKS = 6


def _twap(sc: Scenario) -> Strategy:
    duration_s = max(1, int(sc.duration_s * CLIENT_ORDER_SHARE))
    return TwapOrder(sc.instrument.symbol, side=-1, qty=CLIENT_ORDER_LOTS,
                     duration_s=duration_s, slices=TWAP_SLICES, agency=True)


def _pov(sc: Scenario) -> Strategy:
    return PovOrder(sc.instrument.symbol, side=-1, qty=CLIENT_ORDER_LOTS, rate=0.05, agency=True)


BUILTIN: dict[str, Callable[[Scenario], Strategy]] = {
    "momentum": lambda sc: Momentum(sc.instrument.symbol),
    "market_making": lambda sc: MarketMaker(
        sc.instrument.symbol, max_inventory=MM_MAX_INVENTORY, skew_ticks=MM_SKEW_TICKS),
    "twap": _twap,
    "pov": _pov,
    "mean_reversion": lambda sc: MeanReversion(sc.instrument.symbol),
}
DEFAULT_BOOK = ("momentum", "market_making", "twap")


def build_book(specs: tuple[str, ...], sc: Scenario) -> list[Strategy]:
    """The strategies for these specs (the default desk when there are none)."""
    return [make(spec, sc) for spec in (specs or DEFAULT_BOOK)]


def make(spec: str, sc: Scenario) -> Strategy:
    maker = BUILTIN.get(spec)
    if maker is not None:
        return maker(sc)
    if ":" not in spec:
        raise StrategyLoadError(
            f"--strategy={spec!r}: not a built-in ({', '.join(BUILTIN)}) and not "
            "'path/to/file.py:Class' or 'module:Class'"
        )
    cls = load_strategy(spec)
    try:
        takes_instrument = "instrument" in inspect.signature(cls).parameters
    except (TypeError, ValueError):
        takes_instrument = False
    try:
        made: Strategy = cls(instrument=sc.instrument.symbol) if takes_instrument else cls()  # type: ignore[call-arg]
        return made
    except TypeError as exc:
        raise StrategyLoadError(f"--strategy={spec!r}: cannot construct {cls.__name__}: {exc}") from None
