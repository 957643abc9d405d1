"""Limit Up-Limit Down for one stock: reference price, bands, limit state, pause, reopening.

States and what moves between them (each move is a `Transition` for the venue):

    open --quote at a band--> limit_state --quote off the band--> open
    limit_state --held limit_state_ns (15 s)--> paused --pause_ns (5 min)--> auction
    auction --reopened()--> open          auction --extend()--> paused --extension_ns--> auction

Reference price: the arithmetic mean of trade prices (each print counts once, whatever its
size) over the window (t - ref_window_ns, t]. The first trade sets it. After that the
reference in effect moves to the window mean only when the mean is at least ref_min_move (1%)
away from it, the Plan's rule for publishing new bands. The mean is followed at every instant
it changes (each trade, and each moment a trade leaves the window), so the reference does not
depend on how often the venue asks. While the window is empty the reference stays.
Bands are frozen during a limit state and a pause; on leaving a limit state the reference
resets to the window mean (no 1% rule); after a pause it is the reopening price.

Every call passes t_ns, which must not go backwards. Any call first applies the timers due by
its t_ns; their transitions (stamped with the deadline, not the call's time) are returned by
the next call that returns transitions (poll, on_quote, reopened, extend).

`Luld` runs in C (`_cengine.LuldCore`) when the extension is built, unless FLASHGUARD_PURE=1;
`PyLuld` is the reference (tests/market/test_protections_core_parity.py holds them equal).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

import msgspec

from flashguard.core.clock import NS_PER_MINUTE, NS_PER_SECOND
from flashguard.core.native import c_twin
from flashguard.market.protections.checks import exact_ratio, require_int, require_time
from flashguard.market.protections.luld_bands import luld_bands
from flashguard.market.protections.transition import Status, Transition
from flashguard.market.protections.window import TradeWindow

NS_PER_DAY = 86_400 * NS_PER_SECOND
_OPEN_S = 9 * 3600 + 30 * 60


def _check_windows(field: str, windows: tuple[tuple[int, int], ...]) -> None:
    for start, end in windows:
        if not (0 <= start < end <= 86_400):
            raise ValueError(
                f"{field} window ({start}, {end}) must satisfy 0 <= start < end <= 86400"
            )


class LuldParams(msgspec.Struct, frozen=True):
    """Durations in ns; doubling windows as [start, end) seconds since midnight (exchange time).
    doubling_s applies to both tiers, tier1_doubling_s to Tier 1 only."""

    tier: int = 1
    ref_window_ns: int = 5 * NS_PER_MINUTE
    ref_min_move: float | str = "0.01"
    limit_state_ns: int = 15 * NS_PER_SECOND
    pause_ns: int = 5 * NS_PER_MINUTE
    extension_ns: int = 5 * NS_PER_MINUTE
    session_open_s: int = _OPEN_S
    doubling_s: tuple[tuple[int, int], ...] = ((_OPEN_S, _OPEN_S + 15 * 60),)
    tier1_doubling_s: tuple[tuple[int, int], ...] = ((15 * 3600 + 35 * 60, 16 * 3600),)
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.tier not in (1, 2):
            raise ValueError(f"tier={self.tier!r} must be 1 or 2")
        for name in ("ref_window_ns", "limit_state_ns", "pause_ns", "extension_ns"):
            require_int(name, getattr(self, name), 1)
        move = exact_ratio("ref_min_move", self.ref_min_move)
        if not (0 <= move < 1):
            raise ValueError(f"ref_min_move={self.ref_min_move!r} must be in [0, 1)")
        require_int("session_open_s", self.session_open_s, 0)
        if self.session_open_s >= 86_400:
            raise ValueError(f"session_open_s={self.session_open_s!r} must be < 86400")
        _check_windows("doubling_s", self.doubling_s)
        _check_windows("tier1_doubling_s", self.tier1_doubling_s)


def _settings(
    params: LuldParams, tick_size: Decimal | str, session_open_ns: int
) -> tuple[Fraction, int, tuple[tuple[int, int], ...], Fraction]:
    """The validated tick, midnight's t_ns, the doubling windows in ns of the day and the
    minimum reference move of a LULD (what PyLuld and the C Luld are built from)."""
    tick = exact_ratio("tick_size", tick_size)
    if tick <= 0:
        raise ValueError(f"tick_size={tick_size!r} must be > 0")
    require_int("session_open_ns", session_open_ns, -(1 << 63))
    midnight_ns = session_open_ns - params.session_open_s * NS_PER_SECOND
    windows = params.doubling_s + (params.tier1_doubling_s if params.tier == 1 else ())
    doubling = tuple((s * NS_PER_SECOND, e * NS_PER_SECOND) for s, e in windows)
    return tick, midnight_ns, doubling, exact_ratio("ref_min_move", params.ref_min_move)


class PyLuld:
    """LULD state machine of one stock. session_open_ns: the t_ns of the regular-session open
    (params.session_open_s after midnight); it places the doubling windows in time. (The
    reference; `Luld` is the one to use.)"""

    __slots__ = (
        "_cache",
        "_deadline",
        "_doubled_now",
        "_doubled_until",
        "_doubling",
        "_frozen",
        "_midnight_ns",
        "_move",
        "_now",
        "_pending",
        "_ref_den",
        "_ref_num",
        "_span",
        "_status",
        "_tick",
        "_window",
        "params",
    )

    def __init__(self, params: LuldParams, tick_size: Decimal | str, session_open_ns: int) -> None:
        tick, midnight_ns, doubling, move = _settings(params, tick_size, session_open_ns)
        self.params = params
        self._tick = tick
        self._midnight_ns = midnight_ns
        self._doubling = doubling
        # whether bands are doubled, and until when that answer holds (see _doubled)
        self._doubled_now = False
        self._doubled_until: int | None = None
        self._span = params.ref_window_ns
        self._move = (move.numerator, move.denominator)
        self._window = TradeWindow()
        # the reference price in effect, in ticks, as the exact fraction num / den
        self._ref_num = 0
        self._ref_den = 0
        self._cache: dict[bool, tuple[int, int]] = {}  # doubled? -> bands of this reference
        self._frozen: tuple[int, int] | None = None  # bands held in a limit state or pause
        self._status: Status = "open"
        self._deadline: int | None = None
        self._pending: list[Transition] = []
        self._now: int | None = None

    # --- inputs --------------------------------------------------------------------------

    def on_trade(self, t_ns: int, price_ticks: int, qty: int) -> None:
        """A print on the stock (any venue). Do not report the reopening auction's prints;
        reopened() accounts for them."""
        if not self.params.enabled:
            return
        if type(price_ticks) is not int or price_ticks < 1:
            require_int("price_ticks", price_ticks, 1)
        if type(qty) is not int or qty < 1:
            require_int("qty", qty, 1)
        self._advance(t_ns)
        self._window.push(t_ns, price_ticks, qty)
        if self._status == "open":
            self._follow_mean()

    def on_quote(self, t_ns: int, best_bid: int | None, best_ask: int | None) -> list[Transition]:
        """The national best bid and offer (None for an empty side) after any change.
        Enters the limit state when the offer is at or below the lower band or the bid at or
        above the upper band; leaves it when neither holds."""
        if not self.params.enabled:
            return []
        self._advance(t_ns)
        if self._status == "limit_state":
            assert self._frozen is not None
            if not _at_band(self._frozen, best_bid, best_ask):
                self._status = "open"
                self._frozen = None
                self._deadline = None
                self._reset_reference_to_mean()
                self._pending.append(Transition(t_ns, "open", "limit_state_cleared"))
        # also right after a limit state clears: the recomputed bands may meet the same quote
        if self._status == "open":
            bands = self._current_bands(t_ns)
            reason = "" if bands is None else _at_band(bands, best_bid, best_ask)
            if reason and bands is not None:
                self._status = "limit_state"
                self._frozen = bands
                self._deadline = t_ns + self.params.limit_state_ns
                self._pending.append(
                    Transition(t_ns, "limit_state", reason, until_ns=self._deadline)
                )
        return self._drain()

    def poll(self, t_ns: int) -> list[Transition]:
        """Apply the timers due by t_ns (schedule a call at next_deadline())."""
        if not self.params.enabled:
            return []
        self._advance(t_ns)
        return self._drain()

    def reopened(self, t_ns: int, price_ticks: int | None) -> list[Transition]:
        """The reopening auction has run. price_ticks (its price, or None if it reopened
        without a print) becomes the reference; trades before the pause leave the window."""
        self._advance(t_ns)
        self._require_status("reopened", t_ns, "auction")
        self._status = "open"
        self._frozen = None
        self._window.clear()
        if price_ticks is not None:
            require_int("price_ticks", price_ticks, 1)
            # the auction is one print whatever its size: it counts once in the mean
            self._window.push(t_ns, price_ticks, 0)
            self._set_reference(price_ticks, 1)
        self._pending.append(Transition(t_ns, "open", "reopened"))
        return self._drain()

    def extend(self, t_ns: int) -> list[Transition]:
        """The auction could not reopen: pause for another extension_ns, then auction again."""
        self._advance(t_ns)
        self._require_status("extend", t_ns, "auction")
        self._status = "paused"
        self._deadline = t_ns + self.params.extension_ns
        self._pending.append(Transition(t_ns, "paused", "reopen_extended", self._deadline))
        return self._drain()

    # --- queries -------------------------------------------------------------------------

    def bands(self, t_ns: int) -> tuple[int, int] | None:
        """(lower, upper) in ticks, inclusive; None before the first trade or if disabled."""
        if not self.params.enabled:
            return None
        self._advance(t_ns)
        if self._frozen is not None:
            return self._frozen
        return self._current_bands(t_ns)

    def allows(self, t_ns: int, price_ticks: int) -> bool:
        """Whether a trade at price_ticks is inside the bands. Only the band: whether the stock
        trades at all (paused, auction) is the status's business."""
        bands = self.bands(t_ns)
        return bands is None or bands[0] <= price_ticks <= bands[1]

    def next_deadline(self) -> int | None:
        return self._deadline

    @property
    def status(self) -> Status:
        """As of the latest call (timers due later apply at the next call)."""
        return self._status

    @property
    def reference(self) -> Fraction | None:
        """The reference price in effect, in ticks (exact)."""
        return Fraction(self._ref_num, self._ref_den) if self._ref_den else None

    # --- internals -----------------------------------------------------------------------

    def _advance(self, t_ns: int) -> None:
        now = self._now
        if t_ns == now:
            # Called several times per instant (an order's bands, its trades, the quote). The
            # first call applied everything due by now, and every deadline or expiry set since
            # lies after now (durations are >= 1 ns): nothing can be due.
            return
        if now is not None and t_ns < now:
            require_time("t_ns", t_ns, now)
        self._now = t_ns
        window = self._window
        trades = window.trades
        span = self._span
        # Timers and window expiries are applied in time order (a timer first on a tie): the
        # reference then follows the true mean path whatever the calling pattern.
        while True:
            oldest = trades[0][0] if trades else None
            expiry = None if oldest is None else oldest + span
            deadline = self._deadline
            if deadline is not None and deadline <= t_ns and (expiry is None or deadline <= expiry):
                self._fire(deadline)
            elif expiry is not None and expiry <= t_ns:
                while window.oldest_t() == oldest:
                    window.pop_oldest()
                if self._status == "open":
                    self._follow_mean()
            else:
                return

    def _fire(self, deadline: int) -> None:
        if self._status == "limit_state":
            self._status = "paused"
            self._deadline = deadline + self.params.pause_ns
            self._pending.append(
                Transition(deadline, "paused", "limit_state_not_cleared", self._deadline)
            )
        else:  # paused
            self._status = "auction"
            self._deadline = None
            self._pending.append(Transition(deadline, "auction", "pause_elapsed"))

    def _follow_mean(self) -> None:
        window = self._window
        n = window.count
        if not n:
            return
        total = window.sum_price
        if not self._ref_den:
            self._set_reference(total, n)
            return
        # |total/n - ref| >= move * ref, in integers: ref = rn/rd, move = mn/md
        rn, rd = self._ref_num, self._ref_den
        mn, md = self._move
        if abs(total * rd - rn * n) * md >= mn * rn * n:
            self._set_reference(total, n)

    def _reset_reference_to_mean(self) -> None:
        if self._window.count:
            self._set_reference(self._window.sum_price, self._window.count)

    def _set_reference(self, num: int, den: int) -> None:
        if num * self._ref_den != self._ref_num * den:
            self._cache.clear()
        self._ref_num = num
        self._ref_den = den

    def _current_bands(self, t_ns: int) -> tuple[int, int] | None:
        if not self._ref_den:
            return None
        doubled = self._doubled(t_ns)
        bands = self._cache.get(doubled)
        if bands is None:
            reference = Fraction(self._ref_num, self._ref_den)
            bands = luld_bands(reference, self._tick, self.params.tier, doubled)
            self._cache[doubled] = bands
        return bands

    def _doubled(self, t_ns: int) -> bool:
        # Asked on every order and quote, but it changes only at a window's edge: the answer
        # is kept until the next edge (time never goes backwards, see _advance).
        until = self._doubled_until
        if until is not None and t_ns < until:
            return self._doubled_now
        ns_of_day = (t_ns - self._midnight_ns) % NS_PER_DAY
        doubled = any(start <= ns_of_day < end for start, end in self._doubling)
        edges = [edge for window in self._doubling for edge in window if edge > ns_of_day]
        next_edge = min(edges, default=NS_PER_DAY)
        self._doubled_now = doubled
        self._doubled_until = t_ns - ns_of_day + next_edge
        return doubled

    def _require_status(self, call: str, t_ns: int, wanted: Status) -> None:
        if self._status != wanted:
            raise RuntimeError(
                f"{call} at t_ns={t_ns}: status={self._status!r}, expected {wanted!r}"
            )

    def _drain(self) -> list[Transition]:
        out = self._pending
        self._pending = []
        return out


_c = c_twin("flashguard.market._cengine")
if TYPE_CHECKING or _c is None:
    Luld = PyLuld
else:

    class Luld(_c.LuldCore):
        """LULD state machine of one stock, in C (the reference is PyLuld)."""

        __slots__ = ()

        def __init__(self, params: LuldParams, tick_size: Decimal | str, session_open_ns: int) -> None:
            tick, midnight_ns, doubling, move = _settings(params, tick_size, session_open_ns)
            self._setup(
                params, tick, params.tier, midnight_ns, doubling, params.ref_window_ns,
                move.numerator, move.denominator, params.limit_state_ns, params.pause_ns,
                params.extension_ns, params.enabled,
            )

        @property
        def reference(self) -> Fraction | None:
            """The reference price in effect, in ticks (exact)."""
            return Fraction(self._ref_num, self._ref_den) if self._ref_den else None


def _at_band(bands: tuple[int, int], best_bid: int | None, best_ask: int | None) -> str:
    """The limit-state reason if the quote sits at (or through) a band, else ''."""
    if best_ask is not None and best_ask <= bands[0]:
        return "offer_at_lower_band"
    if best_bid is not None and best_bid >= bands[1]:
        return "bid_at_upper_band"
    return ""
