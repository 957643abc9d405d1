"""LULD band percentages at each price bracket and the inward rounding onto the tick grid."""

from __future__ import annotations

from fractions import Fraction

import pytest

from flashguard.market.protections import luld_bands

PENNY = Fraction(1, 100)


@pytest.mark.parametrize(
    ("reference", "tier", "expected"),
    [
        (1000, 1, (950, 1050)),  # $10.00, Tier 1: 5%
        (1000, 2, (900, 1100)),  # $10.00, Tier 2: 10%
        (301, 1, (286, 316)),  # $3.01: 5% of 301 = 15.05 ticks, rounded inward
        (300, 1, (240, 360)),  # $3.00 is in the 20% bracket
        (300, 2, (240, 360)),
        (200, 1, (160, 240)),  # $2.00: 20%
        (75, 1, (60, 90)),  # $0.75 is still 20%
        (74, 1, (59, 89)),  # $0.74: lesser of $0.15 and 75% (55.5c) -> 15c
        (50, 2, (35, 65)),  # $0.50: $0.15 < 37.5c
        (10, 1, (3, 17)),  # $0.10: 75% = 7.5c < 15c; 2.5 rounds up, 17.5 down
    ],
)
def test_band_percentage_by_price_bracket(
    reference: int, tier: int, expected: tuple[int, int]
) -> None:
    assert luld_bands(Fraction(reference), PENNY, tier, doubled=False) == expected


@pytest.mark.parametrize(
    ("reference", "tier", "expected"),
    [
        (1000, 1, (900, 1100)),  # 10% instead of 5%
        (1000, 2, (800, 1200)),
        (200, 1, (120, 280)),  # 40%
        (50, 1, (20, 80)),  # $0.30 instead of $0.15
        (10, 1, (1, 25)),  # 150% would reach below zero: floored at one tick
    ],
)
def test_doubled_band(reference: int, tier: int, expected: tuple[int, int]) -> None:
    assert luld_bands(Fraction(reference), PENNY, tier, doubled=True) == expected


def test_fractional_reference_rounds_inward() -> None:
    # mean of 1000 and 1001 ticks = 1000.5; 5% = 50.025 -> [950.475, 1050.525]
    assert luld_bands(Fraction(2001, 2), PENNY, 1, doubled=False) == (951, 1050)


def test_coarse_tick_uses_dollar_level() -> None:
    # E-mini-like tick of 0.25: 4400 ticks = $1100 -> 5% = 220 ticks
    assert luld_bands(Fraction(4400), Fraction(1, 4), 1, doubled=False) == (4180, 4620)
    # 12 ticks of 0.25 = $3.00 -> 20% bracket: 2.4 ticks -> [9.6, 14.4] -> [10, 14]
    assert luld_bands(Fraction(12), Fraction(1, 4), 1, doubled=False) == (10, 14)


def test_band_narrower_than_a_tick_still_allows_the_neighbouring_ticks() -> None:
    # $1 coarse tick, reference $3.50 -> 5% = 0.175 ticks: no grid price inside
    assert luld_bands(Fraction(7, 2), Fraction(1), 1, doubled=False) == (3, 4)
