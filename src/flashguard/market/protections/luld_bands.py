"""LULD price bands from a reference price: the percentage table and the rounding.

Percentages by the reference price in dollars (the Plan's Appendix A):
- above $3.00: 5% for Tier 1, 10% for Tier 2;
- from $0.75 to $3.00 inclusive: 20% for both tiers;
- below $0.75: the lesser of $0.15 or 75%.
A doubled band doubles that width. Bands are rounded inward onto the tick grid (lower band
up, upper band down), so a price the grid allows is never outside the published percentage.
"""

from __future__ import annotations

import math
from fractions import Fraction

TIER_PERCENT = {1: Fraction(5, 100), 2: Fraction(10, 100)}
MID_PERCENT = Fraction(20, 100)
LOW_PERCENT = Fraction(75, 100)
LOW_CAP_DOLLARS = Fraction(15, 100)
HIGH_LEVEL_DOLLARS = Fraction(3)
LOW_LEVEL_DOLLARS = Fraction(3, 4)


def band_width(reference_ticks: Fraction, tick_size: Fraction, tier: int) -> Fraction:
    """Half-width of the (undoubled) band, in ticks."""
    dollars = reference_ticks * tick_size
    if dollars > HIGH_LEVEL_DOLLARS:
        return reference_ticks * TIER_PERCENT[tier]
    if dollars >= LOW_LEVEL_DOLLARS:
        return reference_ticks * MID_PERCENT
    return min(LOW_CAP_DOLLARS / tick_size, reference_ticks * LOW_PERCENT)


def luld_bands(
    reference_ticks: Fraction, tick_size: Fraction, tier: int, doubled: bool
) -> tuple[int, int]:
    """(lower, upper) band in ticks, both inclusive.

    The lower band never goes below 1 tick (a doubled 75% band would reach zero). A band
    narrower than one tick is widened to the grid prices either side of the reference, so
    some price is always allowed."""
    width = band_width(reference_ticks, tick_size, tier)
    if doubled:
        width *= 2
    lower = max(1, math.ceil(reference_ticks - width))
    upper = math.floor(reference_ticks + width)
    if lower > upper:
        lower = max(1, math.floor(reference_ticks))
        upper = math.ceil(reference_ticks)
    return lower, upper
