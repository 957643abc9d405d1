"""Market and portfolio analytics: VPIN, realized volatility, drawdown, stylized facts of
returns, flash-crash metrics. Batch functions take numpy arrays; streaming classes take one
observation at a time in O(1) (amortised) and agree with the batch results."""

from flashguard.analytics.bars import (
    Bar,
    BarBuilder,
    Bars,
    bars_from_trades,
    carry_forward,
    sample_last,
)
from flashguard.analytics.crash import CrashMetrics, CrashWindows, crash_metrics
from flashguard.analytics.drawdown import (
    Drawdown,
    DrawdownPoint,
    DrawdownSeries,
    MaxDrawdown,
    drawdown,
    max_drawdown,
)
from flashguard.analytics.stylized import StylizedFacts, acf, excess_kurtosis, stylized_facts
from flashguard.analytics.volatility import (
    RealizedVol,
    log_returns,
    realized_volatility,
    rolling_realized_volatility,
)
from flashguard.analytics.vpin import (
    TOXIC_CDF,
    Vpin,
    VpinResult,
    bucket_volume_from_adv,
    vpin,
)

__all__ = [
    "TOXIC_CDF",
    "Bar",
    "BarBuilder",
    "Bars",
    "CrashMetrics",
    "CrashWindows",
    "Drawdown",
    "DrawdownPoint",
    "DrawdownSeries",
    "MaxDrawdown",
    "RealizedVol",
    "StylizedFacts",
    "Vpin",
    "VpinResult",
    "acf",
    "bars_from_trades",
    "bucket_volume_from_adv",
    "carry_forward",
    "crash_metrics",
    "drawdown",
    "excess_kurtosis",
    "log_returns",
    "max_drawdown",
    "realized_volatility",
    "rolling_realized_volatility",
    "sample_last",
    "stylized_facts",
    "vpin",
]
