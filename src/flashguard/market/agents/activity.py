"""A slowly wandering activity level: how busy the crowd is, minute to minute.

Real markets have busy and quiet spells lasting tens of minutes (news, the lunch lull), and
returns measured in clock time are a mixture over those spells: that mixture is what gives
volatility clustering, heavy-tailed 1-minute returns and kurtosis that falls as returns are
summed over longer intervals (Clark 1973's subordinated process). The level is exp(x - sd^2/2),
x a mean-reverting Gaussian (AR(1)) process stepped once a simulated minute with stationary
standard deviation `sd` and half-life `half_life_s`, so its long-run mean is 1.
"""

from __future__ import annotations

import math

import numpy as np

from flashguard.core.clock import NS_PER_MINUTE


class Activity:
    __slots__ = ("_level", "_minute", "_phi", "_rng", "_sd", "_shock", "_x")

    def __init__(self, sd: float, half_life_s: float, rng: np.random.Generator) -> None:
        if not sd >= 0:
            raise ValueError(f"activity sd={sd} must be >= 0")
        if not half_life_s > 0:
            raise ValueError(f"activity half_life_s={half_life_s} must be > 0")
        self._rng = rng
        self._sd = sd
        self._phi = 0.5 ** (60.0 / half_life_s)
        self._shock = sd * math.sqrt(1.0 - self._phi**2)
        self._x = sd * float(rng.standard_normal())  # start from the stationary law
        self._minute: int | None = None
        self._level = math.exp(self._x - sd * sd / 2)

    def level(self, t_ns: int) -> float:
        """The activity multiplier in effect at t_ns (time must not run backwards)."""
        minute = t_ns // NS_PER_MINUTE
        if self._minute is None:
            self._minute = minute
        elif minute > self._minute:
            steps = minute - self._minute
            self._minute = minute
            # after 10,000 minutes the process has long forgotten where it was: no need to walk them all
            for z in self._rng.standard_normal(min(steps, 10_000)).tolist():
                self._x = self._phi * self._x + self._shock * z
            self._level = math.exp(self._x - self._sd * self._sd / 2)
        return self._level
