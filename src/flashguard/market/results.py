"""What a market run shows, measured from its 1-second record: the market.json fields.

- crash: `analytics.crash.crash_metrics` on the consolidated mid from the scenario's shock
  (null without a shock, or when the fall is under 2%); buy depth = bid lots within 1% of the
  consolidated mid across lit venues; spread = the mean of the lit venues' own quoted
  spreads (the consolidated spread is often locked at 0, which no multiple can describe).
- stylized: `analytics.stylized.stylized_facts` of the consolidated mid (last trade where the
  book is one-sided).
- vpin: the causal VPIN CDF (1-minute bars of consolidated trades), its maximum before the
  bottom, once it has 20 earlier values to rank against (null before that). Buckets hold the
  pre-shock volume of (calm minutes / 4 / 50) minutes, at most a 6.5-hour day / 50: a day's
  buckets would give a two-hour scenario no VPIN at all.
- intermediaries: max_abs_inventory = the largest |net inventory| of the market makers and
  HFTs taken together over the run; hot_potato_ratio = lots the HFTs traded from the shock to 5
  minutes after the bottom / (1 + the largest |change| of their net inventory in that window).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np

from flashguard.analytics.crash import crash_metrics
from flashguard.analytics.stylized import stylized_facts
from flashguard.analytics.vpin import BUCKETS_PER_DAY, WINDOW, vpin
from flashguard.core.clock import NS_PER_MINUTE, NS_PER_SECOND
from flashguard.market.simulation import Simulation

BARS_COLUMNS = ("t_ns", "venue", "last", "mid", "best_bid", "best_ask", "bid_size", "ask_size", "volume")
_DAY_MINUTES = 390
_RANK_WARMUP = 20  # VPIN values before the CDF counts


def market_result(sim: Simulation) -> dict[str, Any]:
    sc = sim.scenario
    b = sim.bars
    t = np.asarray(b.t, dtype=np.int64)
    mid = _price_series(b.mid, b.last)
    shock = sc.shock_ns
    crash = None
    trough_ns = None
    if shock is not None and t.size and t[0] <= shock <= t[-1]:
        m = crash_metrics(t, mid, shock, bid_depth=b.bid_depth, spread=b.spread)
        if m is not None:
            trough_ns = m.trough_ns
            crash = {
                "peak_to_trough_pct": _r(m.peak_to_trough_pct),
                "minutes_shock_to_bottom": _r(m.minutes_shock_to_bottom),
                "fast_leg_minutes": _r(m.fast_leg_minutes),
                "recovered_pct_25min": _r(m.recovered_pct_25min),
                "buy_depth_at_trough_pct_of_baseline": _r(m.buy_depth_at_trough_pct_of_baseline),
                "spread_multiple_at_trough": _r(m.spread_multiple_at_trough),
            }
    stylized = stylized_facts(mid) if mid.size else None
    return {
        "scenario": sc.name,
        "seed": sim.seed,
        "simulated_seconds": (sim.loop.now_ns() - sc.start_ns) // NS_PER_SECOND,
        "wall_seconds": round(sim.wall_seconds, 3),
        "messages": sim.messages,
        "trades": sim.trades,
        "halts": [
            {"venue": h.venue, "kind": h.kind, "start_ns": h.start_ns, "end_ns": h.end_ns, "reason": h.reason}
            for h in sim.market.halts
        ],
        "crash": crash,
        "stylized": _clean(stylized),
        "vpin": {"max_cdf_before_bottom": _vpin_max(sim, t, shock, trough_ns)},
        "intermediaries": _intermediaries(sim, t, shock, trough_ns),
    }


def _price_series(mid: list[float], last: list[float]) -> np.ndarray:
    m = np.asarray(mid, dtype=np.float64)
    fallback = np.asarray(last, dtype=np.float64)
    return np.where(np.isnan(m), fallback, m)


def _vpin_max(sim: Simulation, t: np.ndarray, shock: int | None, trough_ns: int | None) -> float | None:
    if t.size < 120:
        return None
    vol = np.asarray(sim.bars.volume, dtype=np.int64)
    last = _price_series(sim.bars.last, sim.bars.mid)
    minute = (t // NS_PER_MINUTE) * NS_PER_MINUTE
    edges = np.flatnonzero(np.diff(minute)) + 1
    starts = np.concatenate(([0], edges))
    bar_t = minute[starts] + NS_PER_MINUTE
    bar_v = np.add.reduceat(vol, starts)
    ends = np.concatenate((edges - 1, [t.size - 1]))
    bar_p = np.nan_to_num(last[ends], nan=float(sim.scenario.instrument.start_price)).astype(np.int64)
    cut = shock if shock is not None else int(t[-1])
    calm = bar_t <= cut
    minutes = max(int(calm.sum()), 1)
    per_minute = float(bar_v[calm].sum()) / minutes
    if per_minute <= 0:
        return None
    # A day's 50 buckets would leave a two-hour scenario without a single VPIN value (the
    # window alone is 50 buckets): size buckets so the window spans a quarter of the calm period,
    # capped at the standard daily bucket.
    minutes_per_bucket = min(minutes / 4 / WINDOW, _DAY_MINUTES / BUCKETS_PER_DAY)
    bucket = max(1, int(per_minute * minutes_per_bucket))
    result = vpin(bar_t, bar_v, bar_p, bucket_volume=bucket)
    end = trough_ns if trough_ns is not None else int(t[-1])
    # the empirical CDF needs a history to rank against: skip its first _RANK_WARMUP values
    # (the very first VPIN value is its own maximum, CDF 1, by definition)
    valid = np.flatnonzero(~np.isnan(result.cdf))
    ranked = np.zeros(result.cdf.size, dtype=bool)
    ranked[valid[_RANK_WARMUP:]] = True
    cdf = result.cdf[(result.end_ns <= end) & ranked]
    return _r(float(cdf.max())) if cdf.size else None


def _intermediaries(sim: Simulation, t: np.ndarray, shock: int | None, trough_ns: int | None) -> dict[str, Any]:
    b = sim.bars
    net = np.asarray(b.mm_inventory, dtype=np.int64) + np.asarray(b.hft_inventory, dtype=np.int64)
    out: dict[str, Any] = {"max_abs_inventory": int(np.abs(net).max()) if net.size else 0, "hot_potato_ratio": None}
    if shock is None or not t.size:
        return out
    end = (trough_ns if trough_ns is not None else shock) + 5 * NS_PER_MINUTE
    window = (t >= shock) & (t <= end)
    if window.sum() < 2:
        return out
    traded = np.asarray(b.hft_traded, dtype=np.int64)[window]
    inv = np.asarray(b.hft_inventory, dtype=np.int64)[window]
    swing = int(np.abs(inv - inv[0]).max())
    out["hot_potato_ratio"] = _r(float(traded[-1] - traded[0]) / (1 + swing))
    return out


def _r(x: float | None) -> float | None:
    """JSON has no NaN or infinity: NaN becomes null, +-inf (a spread multiple over a one-sided
    book) becomes +-1e9."""
    if x is None or math.isnan(x):
        return None
    if math.isinf(x):
        return 1e9 if x > 0 else -1e9
    return round(float(x), 6)


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    if isinstance(obj, float):
        return _r(obj)
    return obj


def write_bars(sim: Simulation, path: Path) -> None:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(BARS_COLUMNS)
        for t, venue, last, mid, bid, ask, bq, aq, vol in sim.bars.rows:
            w.writerow((t, venue, last, "" if math.isnan(mid) else f"{mid:g}", bid, ask, bq, aq, vol))
