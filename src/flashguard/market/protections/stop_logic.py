"""CME-style Stop Logic and Velocity Logic: a short pause instead of a runaway sweep.

Definition. At time t the look-back set is every trade with t - window_ns <= t_trade <= t,
plus the last trade before that window (the price the move is measured from). Its lowest
price anchors buys and its highest price anchors sells:

    limit_price(t, BUY)  = min(look-back prices) + ticks
    limit_price(t, SELL) = max(look-back prices) - ticks

An incoming order may trade at any price up to its limit price (exactly `ticks` away is
allowed; one tick more is not). If it could trade beyond, the venue trades it up to the limit
price and calls trigger(): the instrument pauses for pause_ns, then poll() returns "auction";
after the reopening auction the venue calls reopened().

- window_ns = 0 is Stop Logic: the cascade is the trades of this instant (stop orders
  elected by one order trade at one t_ns) measured from the last trade before it.
- window_ns = T, ticks = N is Velocity Logic: a move of more than N ticks within T.
Run both by holding two StopLogic objects and taking the tighter limit price.

Rolling minimum and maximum are monotonic deques: O(1) amortised per trade.

`StopLogic` runs in C (`_cengine.StopCore`) when the extension is built, unless
FLASHGUARD_PURE=1; `PyStopLogic` is the reference (tests/market/test_protections_core_parity.py
holds them equal).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import msgspec

from flashguard.core.clock import NS_PER_SECOND
from flashguard.core.native import c_twin
from flashguard.market.protections.checks import require_int, require_time
from flashguard.market.protections.transition import Status, Transition


class StopLogicParams(msgspec.Struct, frozen=True):
    ticks: int = 24
    window_ns: int = 0
    pause_ns: int = 5 * NS_PER_SECOND
    enabled: bool = True

    def __post_init__(self) -> None:
        require_int("ticks", self.ticks, 0)
        require_int("window_ns", self.window_ns, 0)
        require_int("pause_ns", self.pause_ns, 1)


class PyStopLogic:
    """The reference (`StopLogic` is the one to use)."""

    __slots__ = (
        "_before",
        "_highs",
        "_lows",
        "_now",
        "_pending",
        "_status",
        "_trades",
        "_until",
        "params",
    )

    def __init__(self, params: StopLogicParams) -> None:
        self.params = params
        self._trades: deque[tuple[int, int]] = deque()  # (t_ns, price) inside the window
        self._lows: deque[tuple[int, int]] = deque()  # prices strictly increasing
        self._highs: deque[tuple[int, int]] = deque()  # prices strictly decreasing
        self._before: int | None = None  # last trade price before the window
        self._status: Status = "open"
        self._until: int | None = None
        self._pending: list[Transition] = []
        self._now: int | None = None

    def on_trade(self, t_ns: int, price_ticks: int) -> None:
        if not self.params.enabled:
            return
        if type(price_ticks) is not int or price_ticks < 1:
            require_int("price_ticks", price_ticks, 1)
        self._advance(t_ns)
        self._push(t_ns, price_ticks)

    def limit_price(self, t_ns: int, side: int) -> int | None:
        """The most aggressive price an incoming order of side (1 buy, -1 sell) may trade at
        now without triggering; None before the first trade or when disabled. Meaningful
        only while status is "open"."""
        if not self.params.enabled:
            return None
        self._advance(t_ns)
        if side == 1:
            anchor = self._lows[0][1] if self._lows else None
            if self._before is not None and (anchor is None or self._before < anchor):
                anchor = self._before
            return None if anchor is None else anchor + self.params.ticks
        if side == -1:
            anchor = self._highs[0][1] if self._highs else None
            if self._before is not None and (anchor is None or self._before > anchor):
                anchor = self._before
            return None if anchor is None else anchor - self.params.ticks
        raise ValueError(f"side={side!r} must be 1 (buy) or -1 (sell)")

    def trigger(self, t_ns: int, reason: str = "stop_logic") -> Transition:
        """An order could trade beyond its limit price: pause for pause_ns. (Only allowed
        while open, when no earlier transition can be waiting: hence one Transition.)"""
        self._advance(t_ns)
        self._require_status("trigger", t_ns, "open")
        self._status = "paused"
        self._until = t_ns + self.params.pause_ns
        return Transition(t_ns, "paused", reason, self._until)

    def poll(self, t_ns: int) -> list[Transition]:
        self._advance(t_ns)
        return self._drain()

    def reopened(self, t_ns: int, price_ticks: int | None) -> list[Transition]:
        """The reopening auction has run; its price (None: no print) is the new anchor and
        trades before the pause no longer count. Returns the "open" transition, after the
        "auction" one if that was not polled yet."""
        self._advance(t_ns)
        self._require_status("reopened", t_ns, "auction")
        self._status = "open"
        self._trades.clear()
        self._lows.clear()
        self._highs.clear()
        self._before = None
        if price_ticks is not None:
            require_int("price_ticks", price_ticks, 1)
            self._push(t_ns, price_ticks)
        self._pending.append(Transition(t_ns, "open", "reopened"))
        return self._drain()

    def next_deadline(self) -> int | None:
        return self._until

    @property
    def status(self) -> Status:
        """As of the latest call (a pause that has run out turns to auction at the next)."""
        return self._status

    def _push(self, t_ns: int, price: int) -> None:
        self._trades.append((t_ns, price))
        lows = self._lows
        while lows and lows[-1][1] >= price:
            lows.pop()
        lows.append((t_ns, price))
        highs = self._highs
        while highs and highs[-1][1] <= price:
            highs.pop()
        highs.append((t_ns, price))

    def _advance(self, t_ns: int) -> None:
        now = self._now
        if t_ns == now:
            # Called for each trade and order of an instant: the first call applied everything
            # due by now, and a pause set since ends after now (pause_ns >= 1).
            return
        if now is not None and t_ns < now:
            require_time("t_ns", t_ns, now)
        self._now = t_ns
        if self._status == "paused" and self._until is not None and self._until <= t_ns:
            self._pending.append(Transition(self._until, "auction", "pause_elapsed"))
            self._status = "auction"
            self._until = None
        start = t_ns - self.params.window_ns
        trades = self._trades
        while trades and trades[0][0] < start:
            self._before = trades.popleft()[1]
        lows = self._lows
        while lows and lows[0][0] < start:
            lows.popleft()
        highs = self._highs
        while highs and highs[0][0] < start:
            highs.popleft()

    def _drain(self) -> list[Transition]:
        out = self._pending
        self._pending = []
        return out

    def _require_status(self, call: str, t_ns: int, wanted: Status) -> None:
        if self._status != wanted:
            raise RuntimeError(
                f"{call} at t_ns={t_ns}: status={self._status!r}, expected {wanted!r}"
            )


_c = c_twin("flashguard.market._cengine")
if TYPE_CHECKING or _c is None:
    StopLogic = PyStopLogic
else:

    class StopLogic(_c.StopCore):
        """Stop logic or velocity logic of one venue and instrument, in C (the reference is
        PyStopLogic)."""

        __slots__ = ()

        def __init__(self, params: StopLogicParams) -> None:
            self._setup(params, params.ticks, params.window_ns, params.pause_ns, params.enabled)
