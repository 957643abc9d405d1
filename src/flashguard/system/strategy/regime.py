"""When a strategy trades in capital-preservation mode instead of its normal mode.

Two kinds of reason, checked in this order:
- risk directives: the kill switch, the strategy REDUCING or HALTED, the portfolio
  reduce-only, a volatility size cut, or the strategy's own drawdown past a fraction of its
  REDUCING threshold (the regime gets careful before the risk layer has to act);
- market stress in any instrument: realized volatility of the mid above `vol_bps`, the
  causal VPIN CDF above `vpin_cdf`, or a venue of the instrument halted, paused or in a
  limit state.

A strategy enters preservation at the first reason and returns to normal only after
`calm_ns` without any. The market-stress reasons and the early drawdown trigger are layer 2's
first level (its watch on each strategy's volatility and drawdown, below the thresholds that
cut sizes or halt): an ablation that disables L2 leaves the strategies in normal mode unless
another layer directs otherwise. An operator may pin a strategy's mode (`pin`) whatever the
signals. `StressMonitor` keeps the market measures, O(1) per event; `Regime` decides per
strategy and reports each switch once.
"""

from __future__ import annotations

from dataclasses import dataclass

from flashguard.analytics.bars import BarBuilder
from flashguard.analytics.volatility import RealizedVol
from flashguard.analytics.vpin import Vpin
from flashguard.system.risk import RiskGate, StrategyMode
from flashguard.system.risk.ledger import StrategyBook
from flashguard.system.risk.params import StressParams
from flashguard.system.strategy.base import NORMAL, PRESERVATION

NS_PER_SECOND = 1_000_000_000
NS_PER_MS = 1_000_000
_STRESS = StressParams()  # the [stress] table's defaults
STRESS_STATUSES = frozenset({"halted", "paused", "auction", "limit_state"})
_ACTIVE = StrategyMode.ACTIVE
# the directive's reason for each mode but ACTIVE (an enum's name costs a descriptor call)
_MODE_REASONS = {m: f"risk: strategy {m.name}" for m in StrategyMode}


@dataclass(frozen=True, slots=True)
class RegimeParams:
    """vol_sample_ns / vol_window / vol_bps: the mid is sampled once per vol_sample_ns and the
    realized volatility of the last vol_window samples (sqrt of summed squared log returns,
    in basis points of that span) above vol_bps is stress. vpin_bucket_volume: lots per VPIN
    bucket; None sizes the buckets from the market itself, causally: the volume of the first
    vpin_calibrate_ns of trading sets the rate, and a bucket holds vpin_bucket_minutes of it
    (REFERENCE.md's "a day's volume / 50" needs past days a run does not have; 0 turns VPIN
    off). vpin_bar_ns bars, vpin_window buckets and vpin_sigma_min_changes warm-up bars; a CDF
    above vpin_cdf is stress once vpin_min_values VPIN values exist (the causal CDF of the
    first value is 1 by construction).
    drawdown_fraction: of the strategy's drawdown_reduce. calm_ns: how long without any
    reason before a strategy returns to normal. check_ns: how often, in event time, every
    strategy is re-examined even without news (drawdown moves with marks)."""

    # the defaults are the risk matrix's [stress] defaults (StressParams), in nanoseconds
    vol_sample_ns: int = _STRESS.vol_sample_ms * NS_PER_MS
    vol_window: int = _STRESS.vol_window
    vol_bps: float = _STRESS.vol_bps
    vpin_bucket_volume: int | None = None
    vpin_calibrate_ns: int = _STRESS.vpin_calibrate_s * NS_PER_SECOND
    vpin_bucket_minutes: float = _STRESS.vpin_bucket_minutes
    vpin_bar_ns: int = 60 * NS_PER_SECOND
    vpin_window: int = _STRESS.vpin_window
    vpin_sigma_min_changes: int = _STRESS.vpin_sigma_min_changes
    vpin_cdf: float = _STRESS.vpin_cdf
    vpin_min_values: int = _STRESS.vpin_min_values
    drawdown_fraction: float = _STRESS.drawdown_fraction
    calm_ns: int = _STRESS.calm_s * NS_PER_SECOND
    check_ns: int = 250_000_000

    def __post_init__(self) -> None:
        for name in ("vol_sample_ns", "vpin_bar_ns", "check_ns"):
            if getattr(self, name) <= 0:
                raise ValueError(f"regime {name}={getattr(self, name)!r} must be > 0")
        for name in ("vol_window", "vpin_window", "vpin_sigma_min_changes", "vpin_min_values"):
            if getattr(self, name) < 2:
                raise ValueError(f"regime {name}={getattr(self, name)!r} must be >= 2")
        if self.calm_ns < 0:
            raise ValueError(f"regime calm_ns={self.calm_ns!r} must be >= 0")
        if self.vpin_calibrate_ns < 0:
            raise ValueError(f"regime vpin_calibrate_ns={self.vpin_calibrate_ns!r} must be >= 0")
        if not self.vpin_bucket_minutes > 0:
            raise ValueError(
                f"regime vpin_bucket_minutes={self.vpin_bucket_minutes!r} must be > 0"
            )
        if not self.vol_bps > 0:
            raise ValueError(f"regime vol_bps={self.vol_bps!r} must be > 0")
        if not 0 < self.vpin_cdf <= 1:
            raise ValueError(f"regime vpin_cdf={self.vpin_cdf!r} must be in (0, 1]")
        if not self.drawdown_fraction > 0:
            raise ValueError(f"regime drawdown_fraction={self.drawdown_fraction!r} must be > 0")
        if self.vpin_bucket_volume is not None and self.vpin_bucket_volume < 1:
            raise ValueError(
                f"regime vpin_bucket_volume={self.vpin_bucket_volume!r} must be None or >= 1"
            )


def regime_params(stress: StressParams) -> RegimeParams:
    """The regime as the risk matrix's [stress] table sets it."""
    return RegimeParams(
        vol_sample_ns=stress.vol_sample_ms * NS_PER_MS, vol_window=stress.vol_window,
        vol_bps=stress.vol_bps, vpin_cdf=stress.vpin_cdf,
        vpin_calibrate_ns=stress.vpin_calibrate_s * NS_PER_SECOND,
        vpin_bucket_minutes=stress.vpin_bucket_minutes, vpin_window=stress.vpin_window,
        vpin_sigma_min_changes=stress.vpin_sigma_min_changes,
        vpin_min_values=stress.vpin_min_values, drawdown_fraction=stress.drawdown_fraction,
        calm_ns=stress.calm_s * NS_PER_SECOND,
    )


class InstrumentStress:
    """One instrument's stress measures. `owner` (its StressMonitor) is told of each change
    that can move the stress signal (a volatility sample or a VPIN value), so the signal is
    rebuilt only then."""

    __slots__ = (
        "_bars", "_bucket", "_calibration", "_min_values", "_owner", "_params", "_values",
        "_vol", "_vpin", "_window", "mid", "paused", "sample_end", "vol_bps", "vpin_cdf",
    )

    def __init__(self, p: RegimeParams, owner: StressMonitor | None = None) -> None:
        self._params = p
        self._owner = owner
        self._vol = RealizedVol(p.vol_window)
        self._window = p.vol_window
        self._bucket = -1
        # the end of the current sample bucket: a mid at or past it closes the bucket
        self.sample_end = 0
        self.mid = 0
        self.vol_bps = 0.0
        self._bars = BarBuilder(p.vpin_bar_ns)
        self._vpin = (
            Vpin(bucket_volume=p.vpin_bucket_volume, window=p.vpin_window,
                 sigma_min_changes=p.vpin_sigma_min_changes)
            if p.vpin_bucket_volume is not None
            else None
        )
        # the bars of the calibration period (start, volume, price), replayed into VPIN once
        # the bucket size is known; None when VPIN is sized or off
        self._calibration: list[tuple[int, int, int]] | None = (
            [] if p.vpin_bucket_volume is None and p.vpin_calibrate_ns > 0 else None
        )
        self.vpin_cdf = 0.0
        self._values = 0
        self._min_values = p.vpin_min_values
        self.paused: set[str] = set()

    def on_mid(self, t_ns: int, mid: int, sample_ns: int) -> None:
        if t_ns >= self.sample_end:
            self.close_sample(t_ns, sample_ns)
        self.mid = mid

    def close_sample(self, t_ns: int, sample_ns: int) -> None:
        """A mid at t_ns, at or past `sample_end`: the bucket before it closes."""
        bucket = t_ns // sample_ns
        if bucket > self._bucket:
            if self._bucket >= 0 and self.mid > 0:
                # the closed bucket's last mid, then one flat sample per empty bucket
                gaps = min(bucket - self._bucket - 1, self._window)
                for _ in range(1 + gaps):
                    v = self._vol.on_price(self.mid)
                    if v is not None:
                        self.vol_bps = v * 10_000
                        if self._owner is not None:
                            self._owner.version += 1
            self._bucket = bucket
            self.sample_end = (bucket + 1) * sample_ns

    def on_trade(self, t_ns: int, price: int, qty: int) -> None:
        if (self._vpin is None and self._calibration is None) or price <= 0:
            return
        bar = self._bars.on_trade(t_ns, price, qty)
        if bar is None:
            return
        if self._calibration is not None:
            self._calibration.append((bar.start_ns, bar.volume, bar.price))
            self._calibrate(t_ns)
        elif self._vpin is not None:
            self._on_bar(bar.start_ns, bar.volume, bar.price)

    def _calibrate(self, t_ns: int) -> None:
        """Size the buckets once the calibration period has passed, from its volume only."""
        assert self._calibration is not None
        p = self._params
        first = self._calibration[0][0]
        if t_ns - first < p.vpin_calibrate_ns:
            return
        bars, self._calibration = self._calibration, None
        minutes = (t_ns - first) / (60 * NS_PER_SECOND)
        per_minute = sum(v for _, v, _ in bars) / minutes
        self._vpin = Vpin(
            bucket_volume=max(1, round(per_minute * p.vpin_bucket_minutes)),
            window=p.vpin_window, sigma_min_changes=p.vpin_sigma_min_changes,
        )
        for start, volume, price in bars:
            self._on_bar(start, volume, price)

    def _on_bar(self, start_ns: int, volume: int, price: int) -> None:
        assert self._vpin is not None
        out = self._vpin.on_bar(start_ns, volume, price)
        if out is not None:
            self._values += 1
            if self._values >= self._min_values:
                self.vpin_cdf = out[1]
                if self._owner is not None:
                    self._owner.version += 1


class StressMonitor:
    """Market stress per instrument. Times are the system's arrival times (the event loop's),
    which only move forward, not the venues' stamps, which interleave across feeds."""

    __slots__ = ("_signal", "_signal_version", "instruments", "params", "version")

    def __init__(self, params: RegimeParams) -> None:
        self.params = params
        self.instruments: dict[str, InstrumentStress] = {}
        # bumped at every change that can move `signal()` (a volatility sample, a VPIN value,
        # a venue status): the signal is rebuilt only when it moved
        self.version = 0
        self._signal = ""
        self._signal_version = 0

    def _get(self, instrument: str) -> InstrumentStress:
        s = self.instruments.get(instrument)
        if s is None:
            s = self.instruments[instrument] = InstrumentStress(self.params, self)
        return s

    def on_mid(self, instrument: str, t_ns: int, mid: int) -> None:
        if mid > 0:
            self._get(instrument).on_mid(t_ns, mid, self.params.vol_sample_ns)

    def on_trade(self, instrument: str, t_ns: int, price: int, qty: int) -> None:
        self._get(instrument).on_trade(t_ns, price, qty)

    def on_status(self, venue: str, instrument: str, status: str) -> None:
        targets = [self._get(instrument)] if instrument else list(self.instruments.values())
        self.version += 1
        for s in targets:
            if status in STRESS_STATUSES:
                s.paused.add(venue)
            else:
                s.paused.discard(venue)

    def signal(self) -> str:
        """Why the market is stressed ("" if it is not)."""
        if self._signal_version != self.version:
            self._signal = self._stress()
            self._signal_version = self.version
        return self._signal

    def _stress(self) -> str:
        p = self.params
        for symbol, s in self.instruments.items():
            if s.vol_bps > p.vol_bps:
                return f"{symbol} realized vol {s.vol_bps:.1f} bps > {p.vol_bps:g}"
            if s.vpin_cdf > p.vpin_cdf:
                return f"{symbol} VPIN CDF {s.vpin_cdf:.3f} > {p.vpin_cdf:g}"
            if s.paused:
                return f"{symbol} {','.join(sorted(s.paused))} halted/paused/limit state"
        return ""

    @property
    def vpin_cdf(self) -> float:
        return max((s.vpin_cdf for s in self.instruments.values()), default=0.0)


class Regime:
    __slots__ = (
        "_dd", "_dd_money", "_dd_version", "_last_reason_t", "_pins", "_state", "_version",
        "_watch", "gate", "modes", "monitor", "params", "watching",
    )

    def __init__(self, params: RegimeParams, gate: RiskGate) -> None:
        self.params = params
        self.gate = gate
        self.monitor = StressMonitor(params)
        self.watching = "L2" not in gate.disabled
        self.modes: dict[str, str] = {}
        self._last_reason_t: dict[str, int] = {}
        self._pins: dict[str, tuple[str, str]] = {}
        # strategy -> (its risk book, drawdown trigger in micros): looked at on every event
        self._watch: dict[str, tuple[StrategyBook, float]] = {}
        # `any_new_drawdown` can only change when an equity or high-water mark moved (the
        # risk state's `money_version`), a mode changed or a strategy joined the watch
        # (`_version`): its last answer is kept against both
        self._state = gate.state
        self._version = 0
        self._dd_version = -1
        self._dd_money = -1
        self._dd = False

    def pin(self, strategy: str, mode: str | None, reason: str, t_ns: int) -> None:
        if mode is None:
            # the calm that brings the strategy back is measured from the release
            if self._pins.pop(strategy, None) is not None:
                self._last_reason_t[strategy] = t_ns
            return
        if mode not in (NORMAL, PRESERVATION):
            raise ValueError(f"mode={mode!r} must be {NORMAL!r} or {PRESERVATION!r}")
        if not reason.strip():
            raise ValueError("reason='' : pinning a regime must say why")
        self._pins[strategy] = (mode, reason)

    def mode(self, strategy: str) -> str:
        return self.modes.get(strategy, NORMAL)

    def directive(self, strategy: str) -> str:
        """A risk directive's reason for preservation ("" if none): the kill switch
        (`gate.kill_engaged`), the strategy's mode (`gate.strategy_mode`), the portfolio's
        reduce-only (`gate.portfolio_reduce_only`), a size cut (`gate.size_multiplier` below
        1), the early drawdown trigger; read from the gate's state directly (every strategy
        is looked at every check_ns)."""
        gate = self.gate
        if gate.kill_switch.engaged:
            return "risk: kill switch engaged"
        sb = gate.state.strategy(strategy)
        mode = sb.mode
        if mode != _ACTIVE:
            return _MODE_REASONS.get(mode) or f"risk: strategy {mode.name}"
        if gate.portfolio.reduce_only:
            return "risk: portfolio reduce-only"
        if sb.size_permille / 1000 < 1.0:
            return "risk: volatility size cut"
        if self.watching and self.drawdown_breached(strategy):
            return (f"drawdown {(sb.hwm - sb.equity) / 1e6:g} past "
                    f"{self.params.drawdown_fraction:g} of the reduce threshold")
        return ""

    def stress(self) -> str:
        """The market's stress, as layer 2 watches it ("" when L2 is switched off)."""
        return self.monitor.signal() if self.watching else ""

    def drawdown_breached(self, strategy: str) -> bool:
        """The strategy's equity (marked to market, as risk counts it) is further below its
        high-water mark than drawdown_fraction of its REDUCING threshold."""
        watch = self._watch.get(strategy)
        if watch is None:
            sb = self.gate.state.strategy(strategy)
            watch = self._watch[strategy] = (
                sb, sb.limits.drawdown_reduce * self.params.drawdown_fraction
            )
            self._version += 1
        sb, trigger = watch
        return sb.hwm - sb.equity > trigger

    def any_new_drawdown(self) -> bool:
        """A strategy in normal mode whose drawdown trigger is crossed (cheap: per event)."""
        if not self.watching:
            return False
        money = self._state.money_version
        if money == self._dd_money and self._version == self._dd_version:
            return self._dd
        self._dd_money = money
        self._dd_version = self._version
        self._dd = self._new_drawdown()
        return self._dd

    def _new_drawdown(self) -> bool:
        modes = self.modes
        for strategy, (sb, trigger) in self._watch.items():
            if sb.hwm - sb.equity > trigger and modes.get(strategy) != PRESERVATION:
                return True
        return False

    def _set_mode(self, strategy: str, mode: str) -> None:
        self.modes[strategy] = mode
        self._version += 1

    def evaluate(self, strategy: str, t_ns: int) -> tuple[str, str] | None:
        """(new mode, reason) if the strategy switches now, else None."""
        current = self.modes.get(strategy, NORMAL)
        reason = self.directive(strategy) or self.stress()
        pinned = self._pins.get(strategy)
        if pinned is not None:
            # the pin decides; real reasons still count toward the calm after its release
            if reason or pinned[0] == PRESERVATION:
                self._last_reason_t[strategy] = t_ns
            mode, why = pinned
            if mode == current:
                return None
            self._set_mode(strategy, mode)
            return mode, f"pinned: {why}"
        if reason:
            self._last_reason_t[strategy] = t_ns
            if current == NORMAL:
                self._set_mode(strategy, PRESERVATION)
                return PRESERVATION, reason
            return None
        if current == PRESERVATION:
            since = self._last_reason_t.get(strategy, t_ns)
            if t_ns - since >= self.params.calm_ns:
                self._set_mode(strategy, NORMAL)
                return NORMAL, f"calm for {(t_ns - since) / NS_PER_SECOND:g} s"
        return None
