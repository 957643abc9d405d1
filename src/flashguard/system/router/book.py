"""The router's consolidated book: each venue's own top of book, as its own feed delivered it
(so each lags by that venue's market-data latency), with the venue's status, the LULD band,
and what the router's own children have already taken from each displayed quote.

A displayed quantity is a claim, not a promise: once a child has been sent against it, that
much is marked used until the venue publishes a new quote, so the router never sends two
children at one displayed lot. After a halt or pause a venue is not usable until a quote
published after its reopen has arrived (or `grace_ns` has passed without one): the landscape
at the reopen is new, and routing on the pre-halt quote would be firing blind.
"""

from __future__ import annotations

from flashguard.core.events import LuldBand, Quote, VenueStatus

CONSOLIDATED = "ALL"
TRADING = frozenset({"open", "limit_state"})
PAUSED = frozenset({"halted", "paused", "auction"})


class VenueLine:
    """One venue's state for one instrument."""

    __slots__ = (
        "ask", "ask_qty", "bid", "bid_qty", "fresh", "reopened_at", "status", "used_ask",
        "used_bid", "venue",
    )

    def __init__(self, venue: str) -> None:
        self.venue = venue
        self.bid = self.bid_qty = self.ask = self.ask_qty = 0
        self.used_bid = self.used_ask = 0  # lots our children took from the displayed quote
        self.status = "open"
        self.fresh = True  # a quote arrived since the last reopen
        self.reopened_at = 0

    def available(self, side: int) -> tuple[int, int]:
        """(price, lots not yet taken by us) on the side a `side` order would take from."""
        if side > 0:
            return self.ask, self.ask_qty - self.used_ask if self.ask else 0
        return self.bid, self.bid_qty - self.used_bid if self.bid else 0

    def near(self, side: int) -> tuple[int, int]:
        """(price, displayed lots) on the side a `side` order would join."""
        return (self.bid, self.bid_qty) if side > 0 else (self.ask, self.ask_qty)


class ConsolidatedBook:
    def __init__(self, venues: list[str], dark: set[str], grace_ns: int) -> None:
        self.venues = list(venues)
        self.dark = set(dark)
        self.lit = [v for v in venues if v not in self.dark]
        self.grace_ns = grace_ns
        self._lines: dict[str, dict[str, VenueLine]] = {}
        self._sip: dict[str, tuple[int, int]] = {}
        self._bands: dict[str, tuple[int, int]] = {}

    def lines(self, instrument: str) -> dict[str, VenueLine]:
        lines = self._lines.get(instrument)
        if lines is None:
            lines = self._lines[instrument] = {v: VenueLine(v) for v in self.venues}
        return lines

    # --- feed ----------------------------------------------------------------------------

    def on_quote(self, ev: Quote) -> bool:
        """True when this quote made a venue usable again after a reopen."""
        venue = ev.venue
        if venue == CONSOLIDATED:
            self._sip[ev.instrument] = (
                ev.bid if ev.bid_qty > 0 else 0, ev.ask if ev.ask_qty > 0 else 0
            )
            return False
        lines = self._lines.get(ev.instrument)
        line = (lines if lines is not None else self.lines(ev.instrument)).get(venue)
        if line is None:
            return False  # a venue we have no session with
        bid = ev.bid
        qty = ev.bid_qty
        if bid > 0 and qty > 0:
            line.bid = bid
            line.bid_qty = qty
        else:
            line.bid = line.bid_qty = 0
        ask = ev.ask
        qty = ev.ask_qty
        if ask > 0 and qty > 0:
            line.ask = ask
            line.ask_qty = qty
        else:
            line.ask = line.ask_qty = 0
        line.used_bid = line.used_ask = 0
        if not line.fresh and line.status in TRADING:
            line.fresh = True
            return True
        return False

    def on_status(self, ev: VenueStatus, now: int) -> None:
        if ev.venue == CONSOLIDATED:
            targets = list(self.lines(ev.instrument).values()) if ev.instrument else [
                line for lines in self._lines.values() for line in lines.values()
            ]
        elif ev.instrument:
            line = self.lines(ev.instrument).get(ev.venue)
            targets = [line] if line is not None else []
        else:  # the whole venue
            targets = [lines[ev.venue] for lines in self._lines.values() if ev.venue in lines]
        for line in targets:
            was_trading = line.status in TRADING
            line.status = ev.status
            if ev.status not in TRADING:
                line.fresh = False
            elif not was_trading:
                line.reopened_at = now
                # a dark pool publishes no quote to wait for
                line.fresh = line.venue in self.dark

    def on_band(self, ev: LuldBand) -> None:
        if 0 < ev.lower <= ev.upper:
            self._bands[ev.instrument] = (ev.lower, ev.upper)

    def consume(self, instrument: str, venue: str, side: int, qty: int) -> None:
        line = self.lines(instrument)[venue]
        if side > 0:
            line.used_ask += qty
        else:
            line.used_bid += qty

    # --- queries -------------------------------------------------------------------------

    def usable(self, line: VenueLine, now: int) -> bool:
        return line.status in TRADING and (
            line.fresh or now - line.reopened_at >= self.grace_ns
        )

    def paused(self, instrument: str, now: int) -> list[str]:
        """Venues halted, paused or in auction for the instrument, or reopened without a
        fresh quote yet (within the grace period)."""
        out = []
        for line in self.lines(instrument).values():
            if line.status in PAUSED or (line.status in TRADING and not self.usable(line, now)):
                out.append(line.venue)
        return out

    def band(self, instrument: str) -> tuple[int, int] | None:
        return self._bands.get(instrument)

    def nbbo(self, instrument: str, now: int) -> tuple[int, int]:
        """(bid, ask): the consolidated feed's when there is one, else the best over the
        usable lit venues; 0 for an empty side."""
        sip = self._sip.get(instrument)
        if sip is not None:
            return sip
        bid = ask = 0
        for v in self.lit:
            line = self.lines(instrument)[v]
            if not self.usable(line, now):
                continue
            if line.bid > bid:
                bid = line.bid
            if line.ask and (not ask or line.ask < ask):
                ask = line.ask
        return bid, ask
