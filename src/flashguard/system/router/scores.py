"""Venue reliability: how much of what a venue displayed was really there.

Each liquidity-taking child (and each probe) ends with an observation, filled / aimed-at,
where aimed-at is the displayed quantity the child was sent against (capped at its own size;
for a dark pool, which displays nothing, the child's size). A venue reject is an observation
of 0. The score is an exponentially weighted mean of the observations, so phantom depth (a
quote that vanishes before the child lands) pulls a venue down fast and fills restore it.
Risk rejections say nothing about the venue and are not observations.
"""

from __future__ import annotations


class VenueScores:
    __slots__ = ("_scores", "alpha", "initial")

    def __init__(self, alpha: float, initial: float) -> None:
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"alpha={alpha!r} must be in (0, 1]")
        if not 0.0 <= initial <= 1.0:
            raise ValueError(f"initial={initial!r} must be in [0, 1]")
        self.alpha = alpha
        self.initial = initial
        self._scores: dict[str, float] = {}

    def get(self, venue: str) -> float:
        return self._scores.get(venue, self.initial)

    def observe(self, venue: str, filled: int, aimed: int) -> float:
        """Record one child's outcome; returns the venue's new score."""
        if filled < 0 or aimed < 0:
            raise ValueError(f"filled={filled} aimed={aimed} must be >= 0")
        ratio = min(filled / aimed, 1.0) if aimed else 0.0
        old = self.get(venue)
        new = old + self.alpha * (ratio - old)
        self._scores[venue] = new
        return new

    def snapshot(self) -> dict[str, float]:
        return dict(self._scores)
