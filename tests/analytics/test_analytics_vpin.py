"""VPIN: hand-computed buckets, limits, causality, and batch == streaming."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flashguard.analytics.vpin import Vpin, bucket_volume_from_adv, vpin

MIN = 60_000_000_000


def phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def run_stream(t, vol, px, **kw) -> list[tuple[float, float] | None]:
    s = Vpin(**kw)
    return [s.on_bar(int(a), int(b), int(c)) for a, b, c in zip(t, vol, px, strict=True)]


def times(n: int) -> np.ndarray:
    return np.arange(n, dtype=np.int64) * MIN


# Bars 0-2 are warm-up (sigma needs 2 earlier changes). Bucket size 10:
#   bar 3: +1 on sigma 0         -> all buy,            6 lots  -> bucket 1
#   bar 4:  0 on sigma sqrt(1/3) -> Phi(0) = 1/2,       8 lots  -> 4 in bucket 1, 4 in bucket 2
#   bar 5: -1 on sigma 1/2       -> Phi(-2),           12 lots  -> 6 in bucket 2, 6 in bucket 3
#   bar 6: +1 on sigma sqrt(1/2) -> Phi(sqrt 2),        4 lots  -> bucket 3
HAND_PX = [100, 100, 100, 101, 101, 100, 101]
HAND_VOL = [50, 50, 50, 6, 8, 12, 4]


def hand_buys() -> list[float]:
    return [
        6 + 4 * 0.5,
        4 * 0.5 + 6 * phi(-2.0),
        6 * phi(-2.0) + 4 * phi(math.sqrt(2.0)),
    ]


def test_hand_computed_three_buckets() -> None:
    r = vpin(times(7), HAND_VOL, HAND_PX, bucket_volume=10, window=3, sigma_min_changes=2)
    buys = hand_buys()
    assert r.bar_index.tolist() == [4, 5, 6]
    assert r.end_ns.tolist() == [4 * MIN, 5 * MIN, 6 * MIN]
    assert r.buy_volume == pytest.approx(buys, rel=1e-12)
    assert r.sell_volume == pytest.approx([10 - b for b in buys], rel=1e-12)
    expected = sum(abs(10 - 2 * b) for b in buys) / 30
    assert math.isnan(r.vpin[0]) and math.isnan(r.vpin[1])
    assert r.vpin[2] == pytest.approx(expected, rel=1e-12)
    assert r.cdf[2] == 1.0


def test_hand_computed_window_two_and_causal_cdf() -> None:
    r = vpin(times(7), HAND_VOL, HAND_PX, bucket_volume=10, window=2, sigma_min_changes=2)
    imb = [abs(10 - 2 * b) for b in hand_buys()]
    v2, v3 = (imb[0] + imb[1]) / 20, (imb[1] + imb[2]) / 20
    assert r.vpin[1:] == pytest.approx([v2, v3], rel=1e-12)
    assert v3 < v2
    # bucket 3's VPIN ranks below bucket 2's among the values seen so far: 1 of 2.
    assert r.cdf[1:].tolist() == [1.0, 0.5]


def test_bar_split_over_two_buckets_keeps_its_buy_fraction() -> None:
    # One 35-lot bar on a +2 move fills three 10-lot buckets and leaves 5 lots pending.
    px = [100, 101, 100, 101, 103]
    vol = [0, 0, 0, 0, 35]
    r = vpin(times(5), vol, px, bucket_volume=10, window=1, sigma_min_changes=3)
    changes = [1, -1, 1]
    sigma = float(np.std(changes, ddof=1))
    f = phi(2 / sigma)
    assert r.bar_index.tolist() == [4, 4, 4]
    assert r.buy_volume == pytest.approx([10 * f] * 3, rel=1e-12)
    assert r.vpin == pytest.approx([abs(10 - 20 * f) / 10] * 3, rel=1e-12)
    # streaming reports the last bucket the bar completed
    out = run_stream(times(5), vol, px, bucket_volume=10, window=1, sigma_min_changes=3)
    assert out[:4] == [None] * 4
    assert out[4] == (r.vpin[2], r.cdf[2])


def test_all_buy_flow_gives_vpin_one() -> None:
    n = 400
    px = 1000 + 2 * np.arange(n)  # every bar up by the same 2 ticks: sigma 0, all buys
    r = vpin(times(n), np.full(n, 7), px, bucket_volume=20, window=50, sigma_min_changes=5)
    done = r.vpin[~np.isnan(r.vpin)]
    assert done.size > 10
    assert np.all(done == 1.0)
    assert np.all(r.sell_volume == 0.0)


def test_flat_price_is_balanced_exactly() -> None:
    n = 300
    r = vpin(
        times(n), np.full(n, 9), np.full(n, 500), bucket_volume=20, window=10, sigma_min_changes=5
    )
    done = r.vpin[~np.isnan(r.vpin)]
    assert done.size > 10
    assert np.all(done == 0.0)


def test_alternating_flow_is_nearly_balanced() -> None:
    # Up, down, up, ... with 5 lots a bar and 10-lot buckets: each bucket holds one up bar and
    # one down bar, whose buy fractions Phi(z) and Phi(-z) nearly sum to one.
    n = 2000
    px = 1000 + (np.arange(n) % 2)
    r = vpin(times(n), np.full(n, 5), px, bucket_volume=10, window=50, sigma_min_changes=10)
    done = r.vpin[~np.isnan(r.vpin)]
    assert done.size > 500
    assert done.max() < 0.01
    # and against that, a one-way market reads high
    one_way = vpin(
        times(n),
        np.full(n, 5),
        1000 + np.arange(n),
        bucket_volume=10,
        window=50,
        sigma_min_changes=10,
    )
    assert np.nanmin(one_way.vpin) > 0.99


def test_bucket_volume_from_prior_adv() -> None:
    assert bucket_volume_from_adv(100_000) == 2_000
    assert bucket_volume_from_adv(1_234, buckets_per_day=10) == 123
    assert bucket_volume_from_adv(3) == 1  # never a zero-size bucket
    a = vpin(times(7), HAND_VOL, HAND_PX, prior_adv=500, window=3, sigma_min_changes=2)
    b = vpin(times(7), HAND_VOL, HAND_PX, bucket_volume=10, window=3, sigma_min_changes=2)
    assert a.bucket_volume == 10
    np.testing.assert_array_equal(a.vpin, b.vpin)
    assert Vpin(prior_adv=500).bucket_volume == 10


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of bucket_volume"),
        ({"bucket_volume": 10, "prior_adv": 500}, "exactly one of bucket_volume"),
        ({"bucket_volume": 0}, "bucket_volume=0"),
        ({"prior_adv": -5.0}, "prior_adv=-5.0"),
        ({"bucket_volume": 10, "window": 0}, "window=0"),
        ({"bucket_volume": 10, "sigma_min_changes": 1}, "sigma_min_changes=1"),
        ({"bucket_volume": 10, "sigma_window": 5, "sigma_min_changes": 10}, "sigma_window=5"),
    ],
)
def test_bad_parameters_name_the_field(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Vpin(**kwargs)
    with pytest.raises(ValueError, match=message):
        vpin(times(7), HAND_VOL, HAND_PX, **kwargs)


def test_bad_bars_name_the_field() -> None:
    with pytest.raises(ValueError, match="t_ns must be strictly increasing"):
        vpin([0, 2, 1], [1, 1, 1], [1, 1, 1], bucket_volume=1)
    with pytest.raises(ValueError, match=r"volume must be >= 0: volume\[1\]=-3"):
        vpin([0, 1, 2], [1, -3, 1], [1, 1, 1], bucket_volume=1)
    with pytest.raises(ValueError, match="price must hold integers"):
        vpin([0, 1, 2], [1, 1, 1], [1.5, 1.0, 1.0], bucket_volume=1)
    with pytest.raises(ValueError, match="same length"):
        vpin([0, 1, 2], [1, 1], [1, 1, 1], bucket_volume=1)
    s = Vpin(bucket_volume=5)
    s.on_bar(MIN, 1, 100)
    with pytest.raises(ValueError, match="t_ns=60000000000 must be after"):
        s.on_bar(MIN, 1, 100)
    with pytest.raises(ValueError, match="volume=-1"):
        s.on_bar(2 * MIN, -1, 100)


def reference_vpin(vol, px, big_v, window, sigma_window, min_changes):
    """A plain, slow reading of the definition: the oracle for the fast paths."""
    changes: list[int] = []
    buys: list[float] = []
    filled, buy = 0, 0.0
    for i in range(1, len(px)):
        move = int(px[i] - px[i - 1])
        sample = changes if sigma_window is None else changes[-sigma_window:]
        if len(sample) >= min_changes:
            sigma = float(np.std(sample, ddof=1))
            if sigma == 0:
                f = 1.0 if move > 0 else 0.0 if move < 0 else 0.5
            else:
                f = phi(move / sigma)
            for _ in range(int(vol[i])):  # lot by lot: splitting cannot go wrong
                buy += f
                filled += 1
                if filled == big_v:
                    buys.append(buy)
                    filled, buy = 0, 0.0
        changes.append(move)
    imb = [abs(big_v - 2 * b) for b in buys]
    vp = [
        sum(imb[k - window + 1 : k + 1]) / (window * big_v) if k >= window - 1 else math.nan
        for k in range(len(imb))
    ]
    return np.array(buys), np.array(vp)


@pytest.mark.parametrize("sigma_window", [None, 15])
def test_matches_slow_reference(sigma_window: int | None) -> None:
    rng = np.random.default_rng(11)
    n = 400
    vol = rng.integers(0, 40, n)
    px = 5000 + np.cumsum(rng.integers(-3, 4, n))
    buys, vp = reference_vpin(vol, px, 37, 8, sigma_window, 6)
    r = vpin(
        times(n),
        vol,
        px,
        bucket_volume=37,
        window=8,
        sigma_window=sigma_window,
        sigma_min_changes=6,
    )
    assert buys.size > 50
    np.testing.assert_allclose(r.buy_volume, buys, rtol=1e-9)
    np.testing.assert_allclose(r.vpin, vp, rtol=1e-9)


def test_cdf_is_the_causal_rank() -> None:
    rng = np.random.default_rng(5)
    n = 3000
    r = vpin(
        times(n),
        rng.integers(1, 60, n),
        800 + np.cumsum(rng.integers(-2, 3, n)),
        bucket_volume=50,
        window=20,
        sigma_min_changes=10,
    )
    ok = np.flatnonzero(~np.isnan(r.vpin))
    assert ok.size > 100
    seen = r.vpin[ok]
    oracle = [np.mean(seen[: j + 1] <= seen[j]) for j in range(seen.size)]
    np.testing.assert_array_equal(r.cdf[ok], oracle)
    # A full-sample CDF would differ: it ranks early values against later ones too.
    full = [np.mean(seen <= x) for x in seen]
    assert not np.allclose(oracle, full)


def compare_batch_and_stream(t, vol, px, **kw) -> int:
    r = vpin(t, vol, px, **kw)
    stream = run_stream(t, vol, px, **kw)
    expected: dict[int, tuple[float, float]] = {}
    for k, bar in enumerate(r.bar_index.tolist()):
        if not math.isnan(r.vpin[k]):
            expected[bar] = (float(r.vpin[k]), float(r.cdf[k]))
    got = {i: out for i, out in enumerate(stream) if out is not None}
    assert got == expected  # exact: same operations in the same order
    return len(got)


@pytest.mark.parametrize("sigma_window", [None, 40])
def test_batch_and_stream_agree_exactly(sigma_window: int | None) -> None:
    rng = np.random.default_rng(2)
    n = 5000
    vol = rng.integers(0, 300, n)
    vol[rng.random(n) < 0.01] = 5_000  # bars that span many buckets
    px = 100_000 + np.cumsum(rng.integers(-8, 9, n))
    count = compare_batch_and_stream(
        times(n),
        vol,
        px,
        bucket_volume=211,
        window=50,
        sigma_window=sigma_window,
        sigma_min_changes=30,
    )
    assert count > 1000


bars = st.lists(st.tuples(st.integers(0, 60), st.integers(-4, 4)), min_size=0, max_size=120)


@settings(max_examples=150, deadline=None)
@given(
    bars=bars,
    big_v=st.integers(1, 50),
    window=st.integers(1, 6),
    sigma_window=st.one_of(st.none(), st.integers(3, 10)),
)
def test_batch_and_stream_agree_on_any_bars(bars, big_v, window, sigma_window) -> None:
    vol = np.array([b[0] for b in bars], dtype=np.int64)
    px = 1_000 + np.cumsum(np.array([b[1] for b in bars], dtype=np.int64))
    compare_batch_and_stream(
        times(len(bars)),
        vol,
        px,
        bucket_volume=big_v,
        window=window,
        sigma_window=sigma_window,
        sigma_min_changes=3,
    )


@settings(max_examples=100, deadline=None)
@given(bars=bars, extra=bars, big_v=st.integers(1, 50), window=st.integers(1, 6))
def test_future_bars_never_change_past_outputs(bars, extra, big_v, window) -> None:
    steps = [b[1] for b in bars + extra]
    vol_all = np.array([b[0] for b in bars + extra], dtype=np.int64)
    px_all = 1_000 + np.cumsum(np.array(steps, dtype=np.int64))
    kw = {"bucket_volume": big_v, "window": window, "sigma_min_changes": 3}
    short = vpin(times(len(bars)), vol_all[: len(bars)], px_all[: len(bars)], **kw)
    long = vpin(times(len(steps)), vol_all, px_all, **kw)
    k = short.bar_index.size
    np.testing.assert_array_equal(long.bar_index[:k], short.bar_index)
    np.testing.assert_array_equal(long.buy_volume[:k], short.buy_volume)
    np.testing.assert_array_equal(long.vpin[:k], short.vpin)
    np.testing.assert_array_equal(long.cdf[:k], short.cdf)


def test_sigma_uses_only_earlier_changes() -> None:
    # A huge move in bar 4 must be classified with sigma of bars 1..3 (all +-1), so it is
    # almost entirely buy; if its own change were in sigma it would be far less one-sided.
    px = [100, 101, 100, 101, 200]
    r = vpin(times(5), [0, 0, 0, 0, 10], px, bucket_volume=10, window=1, sigma_min_changes=3)
    assert r.buy_volume[0] == pytest.approx(10 * phi(99 / float(np.std([1, -1, 1], ddof=1))))
    assert r.buy_volume[0] > 9.999


def test_huge_price_moves_stay_exact() -> None:
    # dP up to 1e9 ticks: dP^2 sums pass int64 range, and still batch == stream.
    rng = np.random.default_rng(9)
    n = 3000
    px = 10**15 + np.cumsum(rng.integers(-(10**9), 10**9, n))
    vol = rng.integers(0, 100, n)
    assert compare_batch_and_stream(times(n), vol, px, bucket_volume=97, window=5) > 100
