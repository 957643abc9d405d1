"""What every print does to the crowd: the simulation's one trade listener.

`TradeTap(signals, stops, sink)` is called by the market with (venue, trade) for every trade
and, in this order: counts it (`trades`); moves the signals' fair value (`Signals.on_trade`);
adds the trade to its venue's volume and last price for the per-second bars (`volume`, `last`:
dicts by venue name, the simulation clears `volume` every second); hands it to the sink (when
not None); and lets the stop-loss holders look at the print (`StopLossHolders.on_trade`).

`PyTradeTap` is the reference. `_cengine.TradeTap` does the same in C (unless FLASHGUARD_PURE=1
or the extension is not built): Signals.on_trade's float arithmetic in place, and the holders
asked only when the print reaches their nearest stop (on_trade does nothing otherwise);
tests/market/test_trade_tap_parity.py holds the two equal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flashguard.core.events import Event, Trade
from flashguard.core.native import c_twin
from flashguard.market.agents.stop_loss import StopLossHolders
from flashguard.market.signals import Signals


class PyTradeTap:
    __slots__ = ("last", "signals", "sink", "stops", "trades", "volume")

    def __init__(self, signals: Signals, stops: StopLossHolders, sink: Callable[[Event], object] | None = None) -> None:
        if sink is not None and not callable(sink):
            raise TypeError(f"sink={sink!r} must be callable or None")
        self.signals = signals
        self.stops = stops
        self.sink = sink
        self.trades = 0
        self.volume: dict[str, int] = {}
        self.last: dict[str, int] = {}

    def __call__(self, venue: Any, trade: Trade) -> None:
        self.trades += 1
        self.signals.on_trade(trade)
        name = trade.venue
        self.volume[name] = self.volume.get(name, 0) + trade.qty
        self.last[name] = trade.price
        if self.sink is not None:
            self.sink(trade)
        self.stops.on_trade(venue, trade)


_c = c_twin("flashguard.market._cengine")
if TYPE_CHECKING:
    TradeTap = PyTradeTap
else:
    TradeTap = _c.TradeTap if _c is not None else PyTradeTap
