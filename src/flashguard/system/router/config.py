"""The smart order router's parameters, validated when made (a bad value names its field)."""

from __future__ import annotations

from dataclasses import dataclass

NS_PER_MS = 1_000_000


@dataclass(frozen=True, slots=True)
class RouterConfig:
    """max_child: lots per child in normal times. crash_max_child: lots per child in crash mode
    (fragmentation). probe_qty: lots per liquidity ping. score_alpha: weight of the newest
    observation in a venue's reliability EWMA; score_initial: a venue's score before any
    evidence; min_score: below it a venue gets no size in crash mode. probe_ttl_ns: a probe
    round is trusted this long before crash mode probes again. reopen_grace_ns: after a
    venue reopens, how long to wait for its first fresh quote before routing on the last one
    known. max_risk_rejects: consecutive rounds refused by risk before the parent is dropped.
    dark_fraction: share of a crash-mode round offered to a dark pool, at the mid."""

    max_child: int = 100
    crash_max_child: int = 10
    probe_qty: int = 1
    score_alpha: float = 0.5
    score_initial: float = 1.0
    min_score: float = 0.6
    probe_ttl_ns: int = 1_000 * NS_PER_MS
    reopen_grace_ns: int = 1_000 * NS_PER_MS
    max_risk_rejects: int = 3
    dark_fraction: float = 0.25

    def __post_init__(self) -> None:
        for name in ("max_child", "crash_max_child", "probe_qty", "max_risk_rejects"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"router {name}={value!r} must be an integer >= 1")
        for name in ("probe_ttl_ns", "reopen_grace_ns"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"router {name}={value!r} must be an integer >= 0")
        if not 0.0 < self.score_alpha <= 1.0:
            raise ValueError(f"router score_alpha={self.score_alpha!r} must be in (0, 1]")
        for name in ("score_initial", "min_score", "dark_fraction"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"router {name}={value!r} must be in [0, 1]")
