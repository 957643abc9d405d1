"""What the risk framework knows of one instrument's market: the reference quote, the last
trade, the mark, the LULD band and realized volatility. Updated only by Quote and Trade events.

The reference quote is the consolidated one (venue "ALL") when a consolidated feed exists,
otherwise the best bid and offer over the venues' own quotes. An empty side is 0. The
reference price is the mid, or the one side present, or 0 when the book is empty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flashguard.core.events import Quote, Trade
from flashguard.system.risk.limits import NS_PER_MS
from flashguard.system.risk.luld import LuldReference
from flashguard.system.risk.params import InstrumentParams
from flashguard.system.risk.realized_vol import RealizedVol

if TYPE_CHECKING:
    from flashguard.system.risk.ledger import PositionBook

CONSOLIDATED = "ALL"


class InstrumentMarket:
    __slots__ = (
        "_consolidated",
        "_explicit_band",
        "_luld",
        "_venue_quotes",
        "ask",
        "band_hi",
        "band_lo",
        "bid",
        "holders",
        "last",
        "last_t",
        "mark",
        "mark_mid",
        "quote_t",
        "ref",
        "symbol",
        "tick_value",
        "version",
        "vol",
    )

    def __init__(
        self, symbol: str, tick_value_micros: int, params: InstrumentParams, mark_mid: bool
    ) -> None:
        self.symbol = symbol
        self.tick_value = tick_value_micros
        self.mark_mid = mark_mid
        self.bid = 0
        self.ask = 0
        self.ref = 0
        self.quote_t = 0
        self.last = 0
        self.last_t = 0
        self.mark = 0
        self.band_lo = 0
        self.band_hi = 0  # 0: no band known
        self.version = 0  # bumped when ref, last or the band change: price bounds are cached
        self._explicit_band = False
        self._luld = (
            LuldReference(params.luld_window_s * 1_000 * NS_PER_MS, params.luld_band_bps)
            if params.luld_band_bps > 0
            else None
        )
        self.vol = RealizedVol(params.vol_bucket_ms * NS_PER_MS, params.vol_window)
        self._consolidated = False
        self._venue_quotes: dict[str, tuple[int, int]] = {}
        self.holders: list[PositionBook] = []  # every strategy's position in this instrument

    def on_quote(self, ev: Quote) -> None:
        bid = ev.bid if ev.bid > 0 and ev.bid_qty > 0 else 0
        ask = ev.ask if ev.ask > 0 and ev.ask_qty > 0 else 0
        if ev.venue == CONSOLIDATED:
            self._consolidated = True
        else:
            self._venue_quotes[ev.venue] = (bid, ask)
            if self._consolidated:
                return  # the consolidated feed already carries this venue's quote
            bid, ask = self._best()
        self.bid = bid
        self.ask = ask
        self.quote_t = ev.t_ns
        ref = (bid + ask) // 2 if bid and ask else bid or ask
        if ref != self.ref:
            self.ref = ref
            self.version += 1
        if self.mark_mid and bid and ask:
            self.mark = ref

    def _best(self) -> tuple[int, int]:
        quotes = self._venue_quotes.values()
        bid = max((b for b, _ in quotes), default=0)
        ask = min((a for _, a in quotes if a > 0), default=0)
        return bid, ask

    def on_trade(self, ev: Trade) -> None:
        if ev.price != self.last:
            self.last = ev.price
            self.version += 1
        self.last_t = ev.t_ns
        if not self.mark_mid or not self.mark:
            self.mark = ev.price
        if self._luld is not None and not self._explicit_band:
            lo, hi = self._luld.add(ev.t_ns, ev.price)
            if lo != self.band_lo or hi != self.band_hi:
                self.band_lo = lo
                self.band_hi = hi
                self.version += 1

    def set_band(self, lower: int, upper: int) -> None:
        """A band published by the venue or the SIP; it replaces the own estimate."""
        if not 0 < lower <= upper:
            raise ValueError(f"band lower={lower} upper={upper} must satisfy 0 < lower <= upper")
        self.band_lo = lower
        self.band_hi = upper
        self._explicit_band = True
        self.version += 1

    def venue_down(self, venue: str) -> None:
        """A halted or disconnected venue's quote no longer counts in the reference."""
        if self._venue_quotes.pop(venue, None) is not None and not self._consolidated:
            self.bid, self.ask = self._best()
            self.ref = (self.bid + self.ask) // 2 if self.bid and self.ask else self.bid or self.ask
            self.version += 1
