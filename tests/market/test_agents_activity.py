"""The noise traders' busy and quiet spells, and the stop-loss holders' exit orders."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from flashguard.core.clock import NS_PER_MINUTE
from flashguard.core.events import Trade
from flashguard.market.agents.activity import Activity
from flashguard.market.agents.stop_loss import StopLossHolders, StopLossParams


def _levels(sd: float, half_life_s: float, minutes: int, seed: int = 7) -> np.ndarray:
    a = Activity(sd, half_life_s, np.random.default_rng(seed))
    return np.array([a.level(m * NS_PER_MINUTE) for m in range(minutes)])


def test_the_level_averages_one_and_wanders_with_the_asked_spread_and_memory() -> None:
    lv = _levels(0.8, 1800.0, 200_000)
    assert abs(lv.mean() - 1.0) < 0.05, lv.mean()
    x = np.log(lv)
    assert x.std() == pytest.approx(0.8, rel=0.05)
    d = x - x.mean()
    lag1 = float(np.dot(d[:-1], d[1:]) / np.dot(d, d))
    assert lag1 == pytest.approx(0.5 ** (60 / 1800), abs=0.01)


def test_the_level_holds_within_a_minute_and_a_zero_spread_is_a_steady_pace() -> None:
    a = Activity(0.8, 600.0, np.random.default_rng(1))
    first = a.level(5 * NS_PER_MINUTE)
    assert a.level(5 * NS_PER_MINUTE + NS_PER_MINUTE - 1) == first
    assert a.level(6 * NS_PER_MINUTE) != first
    assert set(_levels(0.0, 600.0, 100)) == {1.0}


@pytest.mark.parametrize(("sd", "half_life", "field"), [(-0.1, 60.0, "sd"), (math.nan, 60.0, "sd"), (0.5, 0.0, "half_life_s")])
def test_bad_parameters_name_the_field(sd: float, half_life: float, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        Activity(sd, half_life, np.random.default_rng(1))


class _Venue:
    def __init__(self) -> None:
        self.orders: list[tuple[Any, ...]] = []

    def connect(self, *_: Any) -> None:
        pass

    def submit(self, *order: Any) -> int:
        self.orders.append(order)
        return len(self.orders)


class _World:
    def __init__(self) -> None:
        self.venue = _Venue()
        self.lit = [self.venue]
        self.instrument = "FGX"

    def connect(self, *_: Any) -> None:
        pass


@pytest.mark.parametrize("short_share", [0.0, 1.0])
def test_a_fired_stop_sends_a_limit_that_can_trade(short_share: float) -> None:
    """A long's stop sells with its limit under the print, a short's buys above it (a sell
    limited above the market never trades: the cascade would not exist)."""
    world = _World()
    params = StopLossParams(count=1, min_distance=0.01, max_distance=0.01, short_share=short_share, slippage=0.02)
    stops = StopLossHolders(params, world, 5000, np.random.default_rng(3), 10_000)  # type: ignore[arg-type]
    print_price = 9_900 if short_share == 0.0 else 10_100
    stops.on_trade(None, Trade(0, "XNYS", "FGX", 1, print_price, 1, -1, 1, 2))  # type: ignore[arg-type]
    assert stops.fired == 1
    (_owner, _sym, side, _qty, limit, _type, _tif) = world.venue.orders[0]
    if side == -1:
        assert limit == int(print_price * 0.98)
    else:
        assert limit == int(print_price * 1.02)
    assert side == (-1 if short_share == 0.0 else 1)
