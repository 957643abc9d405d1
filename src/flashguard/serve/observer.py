"""What the operator service shows, kept up to date from the run's own event stream.

The observer sees every event the run journals, with its seq, right after the journal does
(so it can never show something the journal lacks). It keeps:

- a window of the newest events, for /api/events (server-sent events, resumable by seq);
- each venue's last quote, trade, status and LULD band;
- one price point per lit venue and one equity point per portfolio snapshot (each simulated
  second), and every halt, pause or auction interval, for the dashboard's charts;
- rejection counts per risk layer;
- every decision (risk actions, kill switch, regime changes, venue statuses, operators'
  commands) for the whole run, so a page opened late still reads the day's decisions.

It only reads events: it never calls into the system, so looking cannot change the run.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

from flashguard.core.events import (
    Event,
    KillSwitch,
    LuldBand,
    OperatorCommand,
    OrderRejected,
    PortfolioSnapshot,
    Quote,
    RegimeChange,
    RiskAction,
    Trade,
    VenueStatus,
)

WINDOW = 200_000  # events kept for /api/events (further behind: the decisions, then these)
NOT_OPEN = frozenset({"halted", "paused", "auction", "closed", "disconnected"})
DECISIONS = (RiskAction, KillSwitch, RegimeChange, VenueStatus, OperatorCommand)


@dataclass(slots=True)
class Interval:
    venue: str
    status: str
    start_ns: int
    end_ns: int | None = None


@dataclass(slots=True)
class VenueView:
    name: str
    dark: bool
    status: str = "open"
    reason: str = ""
    bid: int = 0
    ask: int = 0
    last: int = 0
    band: tuple[int, int] | None = None
    interval: Interval | None = None  # the current not-open interval


@dataclass(slots=True)
class Observer:
    venues: dict[str, VenueView]
    window: int = WINDOW
    events: list[tuple[int, Event]] = field(default_factory=list)
    decisions: list[tuple[int, Event]] = field(default_factory=list)  # kept for the whole run
    base: int = 1  # seq of events[0]
    prices: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # venue -> (t, ticks)
    equity: list[tuple[int, float, float, float]] = field(default_factory=list)
    intervals: list[Interval] = field(default_factory=list)
    rejections: dict[str, int] = field(default_factory=dict)  # layer -> count
    max_drawdown_pct: float = 0.0
    max_equity: float = 0.0  # the highest equity a snapshot has shown
    last_seq: int = 0

    @classmethod
    def for_venues(cls, venues: Iterable[tuple[str, bool]]) -> Observer:
        views = {name: VenueView(name, dark) for name, dark in venues}
        return cls(views, prices={n: [] for n, v in views.items() if not v.dark})

    def on_event(self, seq: int, ev: Event) -> None:
        if not self.events:
            self.base = seq
        self.events.append((seq, ev))
        self.last_seq = seq
        if len(self.events) > 2 * self.window:
            del self.events[: len(self.events) - self.window]
            self.base = self.events[0][0]
        kind = type(ev)
        if kind in DECISIONS:
            self.decisions.append((seq, ev))
        if kind is Quote:
            assert isinstance(ev, Quote)
            v = self.venues.get(ev.venue)
            if v is not None:
                v.bid, v.ask = ev.bid, ev.ask
        elif kind is Trade:
            assert isinstance(ev, Trade)
            v = self.venues.get(ev.venue)
            if v is not None:
                v.last = ev.price
        elif kind is PortfolioSnapshot:
            assert isinstance(ev, PortfolioSnapshot)
            self._sample(ev)
        elif kind is VenueStatus:
            assert isinstance(ev, VenueStatus)
            self._status(ev)
        elif kind is LuldBand:
            assert isinstance(ev, LuldBand)
            v = self.venues.get(ev.venue)
            if v is not None and 0 < ev.lower <= ev.upper:
                v.band = (ev.lower, ev.upper)
            elif ev.venue not in self.venues and 0 < ev.lower <= ev.upper:
                for v in self.venues.values():  # a band the SIP published holds everywhere
                    v.band = (ev.lower, ev.upper)
        elif kind is OrderRejected:
            assert isinstance(ev, OrderRejected)
            layer = ev.layer or "venue"
            self.rejections[layer] = self.rejections.get(layer, 0) + 1

    def since(self, seq: int) -> list[tuple[int, Event]]:
        """The events after seq: all of them while they are in the window; older than the
        window, the decisions before it, then the window."""
        if seq + 1 >= self.base or not self.events:
            return self.events[max(0, seq + 1 - self.base):]
        older = self.decisions[bisect_right(self.decisions, seq, key=_seq):
                               bisect_left(self.decisions, self.base, key=_seq)]
        return older + self.events

    def _sample(self, ev: PortfolioSnapshot) -> None:
        self.equity.append((ev.t_ns, ev.equity, ev.drawdown_pct, ev.var))
        self.max_drawdown_pct = max(self.max_drawdown_pct, ev.drawdown_pct)
        self.max_equity = max(self.max_equity, ev.equity)
        for name, points in self.prices.items():
            v = self.venues[name]
            price = v.last or ((v.bid + v.ask) // 2 if v.bid and v.ask else 0)
            if price:
                points.append((ev.t_ns, price))

    def _status(self, ev: VenueStatus) -> None:
        v = self.venues.get(ev.venue)
        if v is None or ev.status == v.status:
            return
        if v.interval is not None:
            v.interval.end_ns = ev.t_ns
            v.interval = None
        v.status, v.reason = ev.status, ev.reason
        if ev.status in NOT_OPEN:
            v.interval = Interval(v.name, ev.status, ev.t_ns)
            self.intervals.append(v.interval)


def _seq(item: tuple[int, Event]) -> int:
    return item[0]
