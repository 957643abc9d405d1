"""Market-wide circuit breakers on an index against its prior close (SEC Rule 80B levels).

A level is breached when the index is at or below prior_close x (1 - decline). Semantics:
- Each level halts at most once a day. A jump through several levels halts at the highest
  one reached and uses up the lower ones too.
- A level with a duration (Levels 1 and 2: 15 minutes) halts only before the cutoff
  (15:25:00 exchange time; at 15:25:00 exactly it no longer halts). Such a breach at or after
  the cutoff does nothing.
- A level without a duration (Level 3) halts for the rest of the day, at any time.
- During a timed halt only a day-long level can start a new halt; a lower level breached
  during the halt is looked at again on the first index value after trading resumes.
- When a timed halt ends, poll() returns an "auction" transition: the venue reopens by auction.
One `CircuitBreaker` serves one day; build a new one with the new prior close each day.
"""

from __future__ import annotations

import msgspec

from flashguard.core.clock import NS_PER_MINUTE, NS_PER_SECOND
from flashguard.market.protections.checks import exact_ratio, require_int, require_time
from flashguard.market.protections.transition import Transition

NS_PER_DAY = 86_400 * NS_PER_SECOND
_HALT_15_MIN = 15 * NS_PER_MINUTE


class MwcbParams(msgspec.Struct, frozen=True):
    """levels: (decline from the prior close, halt duration in ns or None for the rest of
    the day), in increasing order of decline."""

    levels: tuple[tuple[float | str, int | None], ...] = (
        (0.07, _HALT_15_MIN),
        (0.13, _HALT_15_MIN),
        (0.20, None),
    )
    cutoff_seconds_since_midnight: int = 15 * 3600 + 25 * 60
    enabled: bool = True

    def __post_init__(self) -> None:
        if not self.levels:
            raise ValueError("levels=() must name at least one level")
        previous = None
        for i, (decline, duration) in enumerate(self.levels):
            d = exact_ratio(f"levels[{i}].decline", decline)
            if not (0 < d < 1):
                raise ValueError(f"levels[{i}].decline={decline!r} must be in (0, 1)")
            if previous is not None and d <= previous:
                raise ValueError(
                    f"levels[{i}].decline={decline!r} must be larger than the level before"
                )
            previous = d
            if duration is not None:
                require_int(f"levels[{i}].duration_ns", duration, 1)
        cutoff = self.cutoff_seconds_since_midnight
        require_int("cutoff_seconds_since_midnight", cutoff, 0)
        if cutoff > 86_400:
            raise ValueError(f"cutoff_seconds_since_midnight={cutoff!r} must be <= 86400")


class CircuitBreaker:
    """day_start_ns: the t_ns of midnight (exchange time) of the trading day."""

    __slots__ = (
        "_cutoff_ns",
        "_day_end_ns",
        "_durations",
        "_level",
        "_now",
        "_pending",
        "_triggers",
        "_until",
        "_used",
        "params",
        "prior_close_ticks",
    )

    def __init__(self, params: MwcbParams, prior_close_ticks: int, day_start_ns: int) -> None:
        require_int("prior_close_ticks", prior_close_ticks, 1)
        require_int("day_start_ns", day_start_ns, -(1 << 63))
        self.params = params
        self.prior_close_ticks = prior_close_ticks
        # breached when price <= prior * (1 - num/den), i.e. price * den <= prior * (den - num)
        self._triggers: list[tuple[int, int]] = []
        self._durations: list[int | None] = []
        for i, (decline, duration) in enumerate(params.levels):
            d = exact_ratio(f"levels[{i}].decline", decline)
            self._triggers.append((d.denominator, prior_close_ticks * (d.denominator - d.numerator)))
            self._durations.append(duration)
        self._used = [False] * len(params.levels)
        self._cutoff_ns = day_start_ns + params.cutoff_seconds_since_midnight * NS_PER_SECOND
        self._day_end_ns = day_start_ns + NS_PER_DAY
        self._level = 0  # the level halting trading now, 0 if none
        self._until: int | None = None
        self._pending: list[Transition] = []
        self._now: int | None = None

    def on_index(self, t_ns: int, price_ticks: int) -> list[Transition]:
        """A new index value. Returns, in time order, the end of a halt that ran out before
        t_ns and was not polled yet, then the "halted" transition if this value starts one."""
        if not self.params.enabled:
            return []
        require_int("price_ticks", price_ticks, 1)
        self._advance(t_ns)
        halt = self._breach(t_ns, price_ticks)
        if halt is not None:
            self._pending.append(halt)
        return self._drain()

    def _breach(self, t_ns: int, price_ticks: int) -> Transition | None:
        if self._level and self._until is None:
            return None  # halted for the rest of the day already
        day_long_only = self._level != 0 or t_ns >= self._cutoff_ns
        hit = 0
        for i, (den, bound) in enumerate(self._triggers):
            if price_ticks * den > bound:
                break
            if self._used[i]:
                continue
            if day_long_only and self._durations[i] is not None:
                continue
            hit = i + 1
        if not hit:
            return None
        for i in range(hit):
            self._used[i] = True
        duration = self._durations[hit - 1]
        self._level = hit
        self._until = None if duration is None else t_ns + duration
        return Transition(t_ns, "halted", f"mwcb_level_{hit}", self._until, hit)

    def poll(self, t_ns: int) -> list[Transition]:
        """The resume ("auction") transition once a timed halt has run its course."""
        self._advance(t_ns)
        return self._drain()

    def next_deadline(self) -> int | None:
        return self._until if self._level else None

    def halted(self, t_ns: int) -> bool:
        """Whether a halt covers t_ns (a pure query: it does not advance time)."""
        if not self._level:
            return False
        end = self._day_end_ns if self._until is None else self._until
        return t_ns < end

    @property
    def level(self) -> int:
        """The level of the halt in force as of the latest call; 0 if none."""
        return self._level

    def _advance(self, t_ns: int) -> None:
        require_time("t_ns", t_ns, self._now)
        self._now = t_ns
        if self._level and self._until is not None and self._until <= t_ns:
            level = self._level
            self._pending.append(
                Transition(self._until, "auction", f"mwcb_level_{level}_ended", None, level)
            )
            self._level = 0
            self._until = None

    def _drain(self) -> list[Transition]:
        out = self._pending
        self._pending = []
        return out
