"""The TWAP and POV schedules: how much of a parent they release, and when."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flashguard.system.strategy.builtins import Pov, Twap

SEC = 1_000_000_000


def test_twap_releases_equal_slices_at_equal_intervals() -> None:
    s = Twap(10 * SEC, 5).start(0, 100)
    assert s.allowance(0, False) == 20  # the first slice at once
    assert s.next_wakeup() == 2 * SEC
    assert s.allowance(2 * SEC - 1, False) == 20
    assert s.allowance(2 * SEC, False) == 40
    assert s.allowance(9 * SEC, False) == 100  # late: caught up, all released
    assert s.next_wakeup() is None


def test_twap_slows_in_preservation() -> None:
    s = Twap(10 * SEC, 5).start(0, 100)
    assert s.allowance(2 * SEC, True) == 40
    assert s.next_wakeup() == 6 * SEC  # twice the interval after a slice released then
    assert s.allowance(5 * SEC, False) == 40


def test_twap_with_fewer_lots_than_slices_spreads_them_over_the_duration() -> None:
    s = Twap(10 * SEC, 20).start(0, 4)
    assert s.allowance(0, False) == 1
    assert s.next_wakeup() == int(2.5 * SEC)


@given(qty=st.integers(1, 10_000), slices=st.integers(1, 50),
       times=st.lists(st.integers(0, 20 * SEC), max_size=30))
def test_twap_allowance_never_falls_and_ends_at_the_parent(
    qty: int, slices: int, times: list[int]
) -> None:
    s = Twap(10 * SEC, slices).start(0, qty)
    last = 0
    for t in sorted(times):
        a = s.allowance(t, False)
        assert last <= a <= qty
        last = a
    assert s.allowance(30 * SEC, False) == qty


def test_pov_releases_its_share_of_the_volume_in_whole_slices() -> None:
    s = Pov(0.1, min_slice=5).start(0, 100)
    s.on_volume(40)
    assert s.allowance(0, False) == 0  # 4 lots: not yet a slice
    s.on_volume(20)
    assert s.allowance(0, False) == 5  # 6 lots, in slices of 5
    s.on_volume(10_000)
    assert s.allowance(0, False) == 100  # capped at the parent; the last slice may be odd
    assert s.next_wakeup() is None


def test_pov_participates_less_in_preservation() -> None:
    s = Pov(0.2, preservation_factor=0.5).start(0, 1_000)
    s.on_volume(100)
    assert s.allowance(0, True) == 10
    s.on_volume(100)
    assert s.allowance(0, False) == 30


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Twap(0, 5), "duration_ns=0"),
        (lambda: Twap(SEC, 0), "slices=0"),
        (lambda: Pov(0.0), "rate=0.0"),
        (lambda: Pov(0.1, min_slice=0), "min_slice=0"),
    ],
)
def test_bad_parameters_name_the_field(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]
