"""Execution quality, from the journal's events: per parent order, and venue reliability over
time.

Per parent (a `RouteDecision` "route" opens it, with its side, size and the arrival mid; the
router's `OrderSubmitted` children and their `OrderFilled` fills follow):
- arrival_mid: the consolidated mid when the parent reached the router (ticks);
- vwap: the average fill price (ticks);
- slippage_ticks: side x (vwap - arrival_mid), per lot; positive is a cost;
- fees: venue fees in fee units (1/100 tick per lot), from each venue's (maker, taker)
  schedule, when given;
- shortfall_ticks: the implementation shortfall of what was executed, against the arrival
  mid, fees included, in tick-lots (slippage x filled + fees / 100); shortfall_bps: the same
  per lot, in basis points of the arrival mid. The unexecuted part's opportunity cost is
  left out: it needs a closing price the journal does not fix;
- fill_ratio, venues used, children sent, time_to_complete_ns (first routing to the last
  fill, once filled; None while short).

Venue reliability: each `RouteDecision` "score" carries a venue's new score; the table gives
every change, or the last known score of every venue on a regular grid.

Streaming, O(1) per event: feed `ExecutionQuality.on_event` and read `parents()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flashguard.core.events import Event, OrderFilled, OrderSubmitted, RouteDecision


@dataclass(frozen=True, slots=True)
class ParentExecution:
    parent_id: str
    strategy: str
    instrument: str
    side: int
    qty: int
    filled: int
    arrival_mid: float | None
    vwap: float | None
    slippage_ticks: float | None
    fees: int
    shortfall_ticks: float | None
    shortfall_bps: float | None
    fill_ratio: float
    venues: tuple[str, ...]
    children: int
    t_start: int
    time_to_complete_ns: int | None


def _fields(detail: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in detail.split() if "=" in part)


class _Parent:
    __slots__ = ("children", "fees", "filled", "id", "instrument", "last_fill", "mid2",
                 "notional", "qty", "side", "strategy", "t_start", "venues")

    def __init__(self, ev: RouteDecision) -> None:
        f = _fields(ev.detail)
        self.id = ev.parent_id
        self.strategy = ev.strategy
        self.instrument = ev.instrument
        self.side = 1 if f.get("side", "buy") == "buy" else -1
        self.qty = ev.qty
        self.mid2 = int(f.get("mid2", "0"))
        self.t_start = ev.t_ns
        self.filled = 0
        self.notional = 0
        self.fees = 0
        self.children = 0
        self.venues: dict[str, None] = {}
        self.last_fill = 0


class ExecutionQuality:
    def __init__(self, fees: Mapping[str, tuple[int, int]] | None = None) -> None:
        """fees: venue -> (maker, taker) fee per lot in fee units; unknown venues cost 0."""
        self.fees = dict(fees or {})
        self._parents: dict[str, _Parent] = {}
        self._children: dict[str, _Parent] = {}

    def on_event(self, ev: Event) -> None:
        kind = type(ev)
        if kind is RouteDecision:
            assert isinstance(ev, RouteDecision)
            if ev.decision == "route":
                self._parents[ev.parent_id] = _Parent(ev)
        elif kind is OrderSubmitted:
            assert isinstance(ev, OrderSubmitted)
            parent = self._parents.get(ev.client_order_id.rpartition("/")[0])
            if parent is not None:
                parent.children += 1
                self._children[ev.client_order_id] = parent
        elif kind is OrderFilled:
            assert isinstance(ev, OrderFilled)
            parent = self._children.get(ev.client_order_id)
            if parent is not None:
                parent.filled += ev.qty
                parent.notional += ev.price * ev.qty
                maker, taker = self.fees.get(ev.venue, (0, 0))
                parent.fees += ev.qty * (maker if ev.maker else taker)
                parent.venues[ev.venue] = None
                parent.last_fill = ev.t_ns

    def parents(self) -> dict[str, ParentExecution]:
        return {pid: self._report(p) for pid, p in self._parents.items()}

    @staticmethod
    def _report(p: _Parent) -> ParentExecution:
        arrival = p.mid2 / 2 if p.mid2 else None
        vwap = p.notional / p.filled if p.filled else None
        slippage = shortfall = bps = None
        if arrival is not None and vwap is not None:
            slippage = p.side * (vwap - arrival)
            shortfall = slippage * p.filled + p.fees / 100
            bps = shortfall / p.filled / arrival * 10_000
        return ParentExecution(
            p.id, p.strategy, p.instrument, p.side, p.qty, p.filled, arrival, vwap, slippage,
            p.fees, shortfall, bps, p.filled / p.qty if p.qty else 0.0, tuple(p.venues),
            p.children, p.t_start,
            p.last_fill - p.t_start if p.filled >= p.qty and p.filled else None,
        )


def execution_quality(
    events: Iterable[Event], fees: Mapping[str, tuple[int, int]] | None = None
) -> dict[str, ParentExecution]:
    eq = ExecutionQuality(fees)
    for ev in events:
        eq.on_event(ev)
    return eq.parents()


def score_changes(events: Iterable[Event]) -> list[tuple[int, str, float]]:
    """Every venue score change, in order: (t_ns, venue, score)."""
    out = []
    for ev in events:
        if isinstance(ev, RouteDecision) and ev.decision == "score":
            score = _fields(ev.detail).get("score")
            if score is not None:
                out.append((ev.t_ns, ev.venue, float(score)))
    return out


def reliability_table(
    events: Iterable[Event], every_ns: int, start_ns: int = 0, end_ns: int | None = None
) -> tuple[list[int], dict[str, list[float | None]]]:
    """Each venue's last known score at start_ns, start_ns + every_ns, ... up to end_ns (the
    last change when None); None before a venue's first score."""
    if every_ns <= 0:
        raise ValueError(f"every_ns={every_ns} must be > 0")
    changes = score_changes(events)
    if end_ns is None:
        end_ns = changes[-1][0] if changes else start_ns
    grid = list(range(start_ns, end_ns + 1, every_ns))
    venues = sorted({v for _, v, _ in changes})
    table: dict[str, list[float | None]] = {v: [] for v in venues}
    current: dict[str, float | None] = dict.fromkeys(venues)
    i = 0
    for t in grid:
        while i < len(changes) and changes[i][0] <= t:
            current[changes[i][1]] = changes[i][2]
            i += 1
        for v in venues:
            table[v].append(current[v])
    return grid, table
