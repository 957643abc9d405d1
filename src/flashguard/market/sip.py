"""The consolidated feed: the NBBO across venues, published with its own latency, like a SIP.

It listens to each venue's own feed (so it already lags each venue by that venue's
market-data latency), keeps the last quote per venue and instrument, and publishes the
national best bid and offer as a Quote from venue "ALL" after `latency_ns`. Venues that are not
trading (halted, paused) drop out of the NBBO. Sizes at the best price are summed across venues.

`Sip` is `_cengine.SipCore` (C) when the extension is built, unless FLASHGUARD_PURE=1; `PySip`
is the reference (same NBBO, same Quotes published at the same points of the event loop, same
trades relayed, same subscriber order), and `CORE` says which ("c" or "python"). The C twin keeps
each quote's four fields as 64-bit integers: a venue quote whose prices or sizes are not ints
that fit is refused there (TypeError / OverflowError naming the field).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from flashguard.core.events import Event, Quote, Trade, VenueStatus
from flashguard.core.loop import EventLoop
from flashguard.core.native import c_twin

CONSOLIDATED = "ALL"
Listener = Callable[[Event], None]


class PySip:
    def __init__(self, loop: EventLoop, latency_ns: int = 500_000) -> None:
        if latency_ns < 0:
            raise ValueError(f"latency_ns={latency_ns} must be >= 0")
        self.loop = loop
        self.latency_ns = latency_ns
        self._quotes: dict[str, dict[str, Quote]] = {}
        self._trading: dict[tuple[str, str], bool] = {}
        self._last: dict[str, tuple[int, int, int, int]] = {}
        self._subscribers: list[Listener] = []
        self.last_trade: dict[str, int] = {}

    def subscribe(self, listener: Listener) -> None:
        self._subscribers.append(listener)

    def on_event(self, event: Event) -> None:
        """Feed a venue's market data here (Venue.subscribe(sip.on_event))."""
        kind = type(event)
        if kind is Quote:
            assert isinstance(event, Quote)
            self._quotes.setdefault(event.instrument, {})[event.venue] = event
            self._update(event.instrument)
        elif kind is VenueStatus:
            assert isinstance(event, VenueStatus)
            self._trading[(event.venue, event.instrument)] = event.status in ("open", "limit_state")
            self._update(event.instrument)
        elif kind is Trade:
            assert isinstance(event, Trade)
            self.last_trade[event.instrument] = event.price
            self._publish(event)

    def nbbo(self, instrument: str) -> tuple[int, int, int, int]:
        """(bid, bid_qty, ask, ask_qty) across trading venues; 0 where a side is empty."""
        bid = bid_qty = ask = ask_qty = 0
        for venue, q in self._quotes.get(instrument, {}).items():
            if not self._trading.get((venue, instrument), True):
                continue
            if q.bid and q.bid >= bid:
                bid_qty = q.bid_qty + (bid_qty if q.bid == bid else 0)
                bid = q.bid
            if q.ask and (not ask or q.ask <= ask):
                ask_qty = q.ask_qty + (ask_qty if q.ask == ask else 0)
                ask = q.ask
        return bid, bid_qty, ask, ask_qty

    def _update(self, instrument: str) -> None:
        nbbo = self.nbbo(instrument)
        if self._last.get(instrument) == nbbo:
            return
        self._last[instrument] = nbbo
        bid, bid_qty, ask, ask_qty = nbbo
        self._publish(Quote(self.loop.now_ns(), CONSOLIDATED, instrument, bid, bid_qty, ask, ask_qty))

    def _publish(self, event: Event) -> None:
        if self._subscribers:
            self.loop.call_later(self.latency_ns, self._deliver, event)

    def _deliver(self, event: Event) -> None:
        for listener in self._subscribers:
            listener(event)


_c = c_twin("flashguard.market._cengine")
if TYPE_CHECKING:
    Sip = PySip
else:
    Sip = _c.SipCore if _c is not None else PySip
CORE = "c" if Sip is not PySip else "python"

__all__ = ["CONSOLIDATED", "CORE", "PySip", "Sip"]
