"""Market making: quote both sides around the mid, lean against inventory.

Normal mode: a bid `half_spread` ticks below the mid and an offer as far above, `qty` lots
each, looked at every `refresh_ns` and after each fill, and re-quoted when the mid has moved
`requote_ticks` or more. It leans against its inventory: the side that would add to it steps
back by up to `skew_ticks` (in proportion to the inventory's share of `max_inventory`), so the
side that reduces it is the likelier to trade; the reducing side never steps forward (the mid
it sees includes its own quotes, so chasing it would walk the quotes away). The side that
would take inventory past `max_inventory` is not quoted. It does not re-quote on every quote
it sees: its own quotes are in that quote, and chasing them would walk the quotes away one
venue update at a time.

Capital preservation: first widen (`widen` times the spread, half the size); if the stress
lasts `pull_after_ns`, or a venue halts or enters a limit state, pull every quote and work
the inventory down to flat. Providing liquidity into a one-way market is how a market
maker becomes the market's last buyer.
"""

from __future__ import annotations

from flashguard.core.events import Event, Quote, VenueStatus
from flashguard.system.strategy.base import (
    PASSIVE,
    Fill,
    Intent,
    ParentStatus,
    Strategy,
)

SECOND = 1_000_000_000
DISLOCATED = frozenset({"halted", "paused", "auction", "limit_state"})


class MarketMaker(Strategy):
    def __init__(
        self, instrument: str = "ES", half_spread: int = 2, qty: int = 5, requote_ticks: int = 1,
        max_inventory: int = 50, widen: int = 3, pull_after_ns: int = 5 * SECOND,
        refresh_ns: int = SECOND // 4, skew_ticks: int = 0, name: str | None = None,
    ) -> None:
        super().__init__(name or "market_maker")
        if half_spread < 1 or qty < 1 or requote_ticks < 1 or widen < 1 or max_inventory < 1:
            raise ValueError(
                f"market maker half_spread={half_spread}, qty={qty}, "
                f"requote_ticks={requote_ticks}, widen={widen}, max_inventory={max_inventory} "
                "must all be >= 1"
            )
        if skew_ticks < 0:
            raise ValueError(f"market maker skew_ticks={skew_ticks} must be >= 0")
        self.instruments = (instrument,)
        self.instrument = instrument
        self.skew_ticks = skew_ticks
        self.half_spread = half_spread
        self.qty = qty
        self.requote_ticks = requote_ticks
        self.max_inventory = max_inventory
        self.widen = widen
        self.pull_after_ns = pull_after_ns
        self.refresh_ns = refresh_ns
        self.bid_id: str | None = None
        self.ask_id: str | None = None
        # its hook acts on a quote only with nothing quoted and its quotes not pulled, and
        # never on a trade: it says so (`listen`), so the engine spares it the rest (unless
        # a subclass has its own hook)
        self._own_hook = type(self).on_market_data is MarketMaker.on_market_data
        if self._own_hook:
            self.listen(trades=False)
        self._quoted_mid = 0  # twice the mid quoted around (0: none yet)
        self._pulled = False
        self.preservation_since = 0
        self.exit: str | None = None

    @property
    def quoted_mid(self) -> int:
        """Twice the mid the quotes out are around (0: none)."""
        return self._quoted_mid

    @quoted_mid.setter
    def quoted_mid(self, mid2: int) -> None:
        self._quoted_mid = mid2
        self._listen()

    @property
    def pulled(self) -> bool:
        """Its quotes are pulled (preservation): it quotes no more until back to normal."""
        return self._pulled

    @pulled.setter
    def pulled(self, on: bool) -> None:
        self._pulled = on
        self._listen()

    def _listen(self) -> None:
        if self._own_hook:
            self.listen(quotes=not self._quoted_mid and not self._pulled)

    # --- hooks -------------------------------------------------------------------------------

    def on_start(self) -> None:
        self.set_timer(self.refresh_ns)

    def on_market_data(self, ev: Event) -> None:
        if type(ev) is Quote:  # the commonest case first
            if not self.quoted_mid:
                self._requote()  # the first quote of the day: no need to wait for the timer
        elif isinstance(ev, VenueStatus) and ev.status in DISLOCATED and self.preservation:
            self._pull()
        elif isinstance(ev, Quote) and not self.quoted_mid:
            self._requote()

    def on_fill(self, fill: Fill) -> None:
        self.quoted_mid = 0  # the inventory moved: re-quote around it
        self._requote()

    def on_regime(self, mode: str, reason: str) -> None:
        if self.preservation:
            self.preservation_since = self.now_ns
        else:
            self.pulled = False
        self.quoted_mid = 0  # re-quote at the new width now
        self._requote()

    def on_timer(self, t_ns: int) -> None:
        self.set_timer(self.refresh_ns)
        if self.preservation and t_ns - self.preservation_since >= self.pull_after_ns:
            self._pull()
        self._requote()

    def on_parent_done(self, status: ParentStatus) -> None:
        if status.parent_id == self.bid_id:
            self.bid_id = None
        elif status.parent_id == self.ask_id:
            self.ask_id = None
        elif status.parent_id == self.exit:
            self.exit = None
        if self.pulled:
            self._flatten()

    # --- quoting -----------------------------------------------------------------------------

    def _requote(self) -> None:
        if self.pulled or self.halted:
            return
        bid, ask = self.quote(self.instrument)
        if not (bid and ask) or ask <= bid:
            return
        mid2 = bid + ask  # twice the mid: exact, where (bid + ask) // 2 would round down
        if (
            self.quoted_mid
            and abs(mid2 - self.quoted_mid) < 2 * self.requote_ticks
            and (self.bid_id or self.ask_id)
        ):
            return
        self._cancel_quotes()
        self.quoted_mid = mid2
        wide = self.preservation
        half = self.half_spread * (self.widen if wide else 1)
        size = max(1, self.qty // 2) if wide else self.qty
        pos = self.position(self.instrument)
        lean = self.skew_ticks * abs(pos) // self.max_inventory
        # as far below the mid as above it: with an odd spread the mid sits between two
        # ticks, and rounding it down would put the offer a tick nearer than the bid, so
        # the offer would trade more often and the book drift short
        bid_px = (mid2 - 2 * half) // 2
        ask_px = -((-(mid2 + 2 * half)) // 2)
        if pos + size <= self.max_inventory:
            back = lean if pos > 0 else 0
            self.bid_id = self.submit(Intent(self.instrument, 1, size, bid_px - back, PASSIVE))
        if pos - size >= -self.max_inventory:
            back = lean if pos < 0 else 0
            self.ask_id = self.submit(Intent(self.instrument, -1, size, ask_px + back, PASSIVE))

    def _cancel_quotes(self) -> None:
        for pid in (self.bid_id, self.ask_id):
            if pid is not None:
                self.cancel(pid)
        self.bid_id = self.ask_id = None

    def _pull(self) -> None:
        if not self.pulled:
            self.pulled = True
            self._cancel_quotes()
        self._flatten()

    def _flatten(self) -> None:
        if self.exit is None:
            self.exit = self.close_position(self.instrument)
