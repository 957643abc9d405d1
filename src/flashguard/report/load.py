"""One pass over a run's journal, keeping what the timeline and the charts show.

Market data (quotes, trades) is folded into per-second series as it streams past, and skipped
altogether when the run's bars_1s.csv is there; everything else the report shows is small
(one snapshot a second, the risk decisions, the venue status changes) and kept as events.
Counts of orders, fills and cancels come from SQL, per minute, without decoding a body.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar

import msgspec
import numpy as np
from numpy.typing import NDArray

from flashguard.core.clock import NS_PER_MINUTE
from flashguard.core.events import (
    AnyEvent,
    KillSwitch,
    LuldBand,
    OrderRejected,
    PortfolioSnapshot,
    Quote,
    RegimeChange,
    RiskAction,
    RouteDecision,
    Trade,
    VenueStatus,
)
from flashguard.journal.store import JournalError, open_journal
from flashguard.report.market import MarketBuilder, MarketSeries, grid, read_bars, series_from_bars

JOURNAL = "journal.sqlite"
BARS = "bars_1s.csv"

_KEPT = ("venue_status", "luld_band", "risk_action", "kill_switch", "regime_change",
         "route_decision", "snapshot", "order_rejected")
_MARKET = ("quote", "trade")
E = TypeVar("E")
_COUNTED = ("order_submitted", "fill", "order_cancelled")


@dataclass(frozen=True, slots=True, eq=False)
class Snapshots:
    t_ns: NDArray[np.int64]
    equity: NDArray[np.float64]
    pnl: NDArray[np.float64]
    drawdown_pct: NDArray[np.float64]
    var: NDArray[np.float64]
    es: NDArray[np.float64]
    vpin_cdf: NDArray[np.float64]
    mode: list[str]

    @classmethod
    def of(cls, snaps: list[PortfolioSnapshot]) -> Snapshots:
        def col(name: str) -> NDArray[np.float64]:
            return np.array([getattr(s, name) for s in snaps], dtype=np.float64)

        return cls(
            t_ns=np.array([s.t_ns for s in snaps], dtype=np.int64),
            equity=col("equity"),
            pnl=col("pnl"),
            drawdown_pct=col("drawdown_pct"),
            var=col("var"),
            es=col("es"),
            vpin_cdf=col("vpin_cdf"),
            mode=[s.mode for s in snaps],
        )


@dataclass(slots=True, eq=False)
class RunData:
    """What one run's journal (and bars) says, ready for the timeline and the charts."""

    journal: Path
    instrument: str
    tick_size: Decimal | None  # None: prices are shown in ticks
    first_ns: int
    last_ns: int
    market: MarketSeries
    snapshots: Snapshots
    statuses: list[VenueStatus] = field(default_factory=list)
    bands: list[LuldBand] = field(default_factory=list)
    actions: list[RiskAction] = field(default_factory=list)  # accepts left out
    kills: list[KillSwitch] = field(default_factory=list)
    regimes: list[RegimeChange] = field(default_factory=list)
    routes: list[RouteDecision] = field(default_factory=list)
    risk_rejects: list[OrderRejected] = field(default_factory=list)  # layer set
    venue_rejects: list[OrderRejected] = field(default_factory=list)
    per_minute: dict[str, Counter[int]] = field(default_factory=dict)  # type -> minute -> n


def _tick_size(text: str | None, journal: Path) -> Decimal | None:
    if text is None:
        return None
    try:
        tick = Decimal(text)
    except InvalidOperation:
        raise JournalError(f"journal {journal}: meta tick_size={text!r} is not a number") from None
    if not tick.is_finite() or tick <= 0:
        raise JournalError(f"journal {journal}: meta tick_size={text!r} must be > 0")
    return tick


def load_run(
    journal: str | Path, bars: str | Path | None = None, tick_size: Decimal | None = None
) -> RunData:
    """Read a journal (and the run's 1-second bars, if given and present).

    tick_size turns ticks into prices for display; without it the journal's meta key
    "tick_size" is used if the run wrote one, else prices are shown in ticks."""
    path = Path(journal)
    db = open_journal(path)
    try:
        first_ns, last_ns = db.execute("SELECT MIN(t_ns), MAX(t_ns) FROM events").fetchone()
        if first_ns is None:
            raise JournalError(f"journal {path}: no events")
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        meta = (
            dict(db.execute("SELECT key, value FROM meta").fetchall()) if "meta" in tables else {}
        )
        tick = tick_size if tick_size is not None else _tick_size(meta.get("tick_size"), path)
        row = db.execute(
            "SELECT body FROM events WHERE type IN ('quote', 'trade') ORDER BY seq LIMIT 1"
        ).fetchone()
        instrument = meta.get("instrument") or (
            str(msgspec.json.decode(row[0]).get("instrument", "")) if row else ""
        )
        bars_path = Path(bars) if bars is not None else None
        use_bars = bars_path is not None and bars_path.is_file()
        kinds = _KEPT if use_bars else _KEPT + _MARKET

        builder = MarketBuilder()
        kept: dict[type, list[AnyEvent]] = {}
        decode = msgspec.json.Decoder(AnyEvent).decode
        marks = ",".join("?" * len(kinds))
        for (body,) in db.execute(
            f"SELECT body FROM events WHERE type IN ({marks}) ORDER BY seq", kinds
        ):
            ev = decode(body)
            if isinstance(ev, Quote):
                if ev.instrument == instrument:
                    builder.on_quote(ev)
            elif isinstance(ev, Trade):
                if ev.instrument == instrument:
                    builder.on_trade(ev)
            else:
                kept.setdefault(type(ev), []).append(ev)

        per_minute: dict[str, Counter[int]] = {k: Counter() for k in _COUNTED}
        for kind, minute, n in db.execute(
            f"SELECT type, t_ns / {NS_PER_MINUTE}, COUNT(*) FROM events "
            f"WHERE type IN ({','.join('?' * len(_COUNTED))}) GROUP BY 1, 2",
            _COUNTED,
        ):
            per_minute[kind][int(minute)] = int(n)
    finally:
        db.close()

    if use_bars:
        assert bars_path is not None
        rows, b_first, b_last = read_bars(bars_path)
        first_ns, last_ns = min(first_ns, b_first), max(last_ns, b_last)
        market = series_from_bars(rows, grid(first_ns, last_ns))
    else:
        market = builder.build(grid(first_ns, last_ns))

    def of(kind: type[E]) -> list[E]:
        return [e for e in kept.get(kind, ()) if isinstance(e, kind)]

    rejects = of(OrderRejected)
    return RunData(
        journal=path,
        instrument=instrument,
        tick_size=tick,
        first_ns=int(first_ns),
        last_ns=int(last_ns),
        market=market,
        snapshots=Snapshots.of(of(PortfolioSnapshot)),
        statuses=[s for s in of(VenueStatus) if not instrument or s.instrument in (instrument, "*", "")],
        bands=[b for b in of(LuldBand) if not instrument or b.instrument == instrument],
        actions=[a for a in of(RiskAction) if a.action != "accept"],
        kills=of(KillSwitch),
        regimes=of(RegimeChange),
        routes=of(RouteDecision),
        risk_rejects=[r for r in rejects if r.layer],
        venue_rejects=[r for r in rejects if not r.layer],
        per_minute=per_minute,
    )


def load_run_dir(run_dir: str | Path, tick_size: Decimal | None = None) -> RunData:
    d = Path(run_dir)
    if not d.is_dir():
        raise JournalError(f"run directory {d}: no such directory")
    return load_run(d / JOURNAL, d / BARS, tick_size)
