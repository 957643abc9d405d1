"""VPIN on real trades: the LOBSTER AMZN sample day (skipped when the data is absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flashguard.analytics.bars import BarBuilder, bars_from_trades
from flashguard.analytics.vpin import Vpin, vpin

REPO = Path(__file__).resolve().parents[2]
MESSAGES = (
    REPO.parent / "shared" / "data" / "lobster" / "AMZN_2012-06-21_34200000_57600000_message_1.csv"
)


@pytest.fixture(scope="module")
def trades() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not MESSAGES.exists():
        pytest.skip(f"LOBSTER sample not found at ../shared/data/lobster ({MESSAGES.name})")
    raw = np.genfromtxt(MESSAGES, delimiter=",", skip_header=1)
    execs = raw[np.isin(raw[:, 1], (4, 5))]  # visible and hidden executions
    t_ns = np.round(execs[:, 0] * 1e9).astype(np.int64)
    return t_ns, execs[:, 4].astype(np.int64), execs[:, 3].astype(np.int64)


def test_real_day_batch_and_stream_agree(trades) -> None:
    t_ns, price, qty = trades
    bars = bars_from_trades(t_ns, price, qty)
    assert 300 <= bars.start_ns.size <= 390  # a 6.5-hour session of 1-minute bars
    # No prior days in the sample: V is set by hand to about 1/50 of such a day.
    kw = {"bucket_volume": 20_000, "window": 10, "sigma_min_changes": 30}
    r = vpin(bars.start_ns, bars.volume, bars.price, **kw)
    assert r.bar_index.size == int(bars.volume[30 + 1 :].sum()) // 20_000
    done = r.vpin[~np.isnan(r.vpin)]
    assert done.size > 10
    assert np.all((done > 0) & (done < 1))

    # The same day trade by trade through the streaming path.
    builder = BarBuilder()
    stream = Vpin(**kw)
    got = []
    for t, p, q in zip(t_ns.tolist(), price.tolist(), qty.tolist(), strict=True):
        bar = builder.on_trade(t, p, q)
        if bar is not None and (out := stream.on_bar(bar.start_ns, bar.volume, bar.price)):
            got.append(out)
    last = builder.flush()
    assert last is not None
    if out := stream.on_bar(last.start_ns, last.volume, last.price):
        got.append(out)
    last_per_bar = {}
    for k, b in enumerate(r.bar_index.tolist()):
        if not np.isnan(r.vpin[k]):
            last_per_bar[b] = (float(r.vpin[k]), float(r.cdf[k]))
    assert got == list(last_per_bar.values())
