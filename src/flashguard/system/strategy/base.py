"""The strategy API: what a strategy may do, and what it is told.

A strategy never talks to a venue. It receives market data, fills, timers and regime changes
from the engine, and sends *intents* (parent orders) back through it; the engine screens
each intent against the risk directives, and the smart order router works it into child
orders, each of which passes the risk gate.

    class MyStrategy(Strategy):
        def on_start(self) -> None: self.set_timer(1_000_000_000)
        def on_market_data(self, ev: Event) -> None: ...   # Quote, Trade, VenueStatus, LuldBand
        def on_fill(self, fill: Fill) -> None: ...
        def on_timer(self, t_ns: int) -> None: ...
        def on_regime(self, mode: str, reason: str) -> None: ...  # "normal" | "preservation"
        def on_parent_done(self, status: ParentStatus) -> None: ...

    parent_id = self.submit(Intent("ES", Side.BUY, 10, limit=4_000, urgency="aggressive"))
    self.cancel(parent_id)

Every strategy has a normal (alpha) mode and a capital-preservation mode (`self.preservation`);
what preservation means is the strategy's to say (stop entering and flatten, widen then pull
quotes, slow down), the engine decides when it applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from flashguard.core.events import Event

PASSIVE = "passive"
AGGRESSIVE = "aggressive"
URGENCIES = frozenset({PASSIVE, AGGRESSIVE})
NORMAL = "normal"
PRESERVATION = "preservation"


class AlgoSchedule(Protocol):
    """A running execution algorithm: how much of its parent it has released so far.

    A schedule may say `volume_blind = True` (a class attribute; TWAP's does): its
    `on_volume` does nothing, and its `allowance` changes nothing and gives the same answer
    at any time before its `next_wakeup` (at any time when that is None). The engine then
    spares it the market's trades until its next wakeup."""

    def allowance(self, t_ns: int, preservation: bool) -> int:
        """Cumulative lots the router may work by t_ns (never decreasing)."""
        ...

    def next_wakeup(self) -> int | None:
        """When to ask `allowance` again without a market event; None: only on volume."""
        ...

    def on_volume(self, qty: int) -> None:
        """Lots traded in the parent's instrument, anyone's."""
        ...


class AlgoSpec(Protocol):
    """The parameters of an execution algorithm (TWAP, POV); `start` runs one for a parent."""

    @property
    def name(self) -> str: ...

    def start(self, t_ns: int, qty: int) -> AlgoSchedule: ...


@dataclass(frozen=True, slots=True)
class Intent:
    """A parent order: side (+1 buy, -1 sell), qty lots, an optional limit price in ticks,
    the urgency ("passive" joins the book, "aggressive" takes liquidity) and an optional
    execution algorithm that releases the quantity over time."""

    instrument: str
    side: int
    qty: int
    limit: int | None = None
    urgency: str = PASSIVE
    algo: AlgoSpec | None = None
    tag: str = ""

    def __post_init__(self) -> None:
        if not self.instrument:
            raise ValueError("intent instrument='' must name an instrument")
        if self.side not in (1, -1):
            raise ValueError(f"intent side={self.side!r} must be 1 (buy) or -1 (sell)")
        if not isinstance(self.qty, int) or isinstance(self.qty, bool) or self.qty <= 0:
            raise ValueError(f"intent qty={self.qty!r} must be a whole number of lots > 0")
        if self.limit is not None and (not isinstance(self.limit, int) or self.limit <= 0):
            raise ValueError(f"intent limit={self.limit!r} must be None or ticks > 0")
        if self.urgency not in URGENCIES:
            raise ValueError(f"intent urgency={self.urgency!r} must be 'passive' or 'aggressive'")


@dataclass(frozen=True, slots=True)
class Fill:
    parent_id: str
    instrument: str
    venue: str
    side: int
    price: int
    qty: int
    maker: bool
    t_ns: int


@dataclass(frozen=True, slots=True)
class ParentStatus:
    """How a parent ended: state "done" (filled) or "cancelled" (by its owner, a directive or
    risk), with the lots filled and the reason."""

    parent_id: str
    instrument: str
    side: int
    qty: int
    filled: int
    state: str
    reason: str


class StrategyContext(Protocol):
    """What the engine offers a strategy (the strategy reaches it through its own methods)."""

    def submit_intent(self, strategy: Strategy, intent: Intent) -> str | None: ...

    def cancel_parent(self, strategy: Strategy, parent_id: str) -> bool: ...

    def set_timer(self, strategy: Strategy, delay_ns: int) -> None: ...

    def now_ns(self) -> int: ...

    def position(self, strategy: Strategy, instrument: str) -> int: ...

    def quote(self, instrument: str) -> tuple[int, int]: ...

    def mode(self, strategy: Strategy) -> str: ...

    def halted(self, strategy: Strategy) -> bool: ...

    def working(self, strategy: Strategy, parent_id: str) -> bool: ...

    def listening(self, strategy: Strategy) -> None: ...


class StrategyWiringError(RuntimeError):
    pass


class Strategy:
    """Subclass and override the hooks you need. `name` (default: the class name in lower
    case) identifies the strategy to the risk matrix ([strategies.NAME]) and in every event.
    `instruments` limits the market data it receives (empty: all). `agency` True: it works
    a client's order, so its fills are the client's position - its own risk limits count
    them, the desk's portfolio (equity, exposure, VaR, kill-switch drawdown) does not."""

    instruments: tuple[str, ...] = ()
    agency: bool = False
    # whether `on_market_data` is called with quotes / with trades now (`listen`)
    hears_quotes: bool = True
    hears_trades: bool = True

    def __init__(self, name: str | None = None) -> None:
        self.name = name or type(self).__name__.lower()
        self._ctx: StrategyContext | None = None

    # --- hooks -------------------------------------------------------------------------------

    def on_start(self) -> None:
        """Called once when the system starts."""

    def on_market_data(self, ev: Event) -> None:
        """A Quote (venue "ALL" is the consolidated one), Trade, VenueStatus or LuldBand."""

    def on_fill(self, fill: Fill) -> None:
        """One fill of one of this strategy's parents."""

    def on_timer(self, t_ns: int) -> None:
        """A timer set with `set_timer` fired."""

    def on_regime(self, mode: str, reason: str) -> None:
        """The engine switched this strategy to "normal" or "preservation"."""

    def on_parent_done(self, status: ParentStatus) -> None:
        """One of this strategy's parents ended (filled, cancelled or dropped)."""

    # --- actions (through the engine) --------------------------------------------------------

    def submit(self, intent: Intent) -> str | None:
        """Send a parent order; its id, or None if the risk directives refuse it (the
        refusal is an event)."""
        return self._context().submit_intent(self, intent)

    def cancel(self, parent_id: str) -> bool:
        return self._context().cancel_parent(self, parent_id)

    def close_position(
        self, instrument: str, limit: int | None = None, urgency: str = AGGRESSIVE,
        tag: str = "flatten",
    ) -> str | None:
        """Send the parent that takes the position in instrument back to flat: its id, or
        None when already flat or refused."""
        pos = self.position(instrument)
        if not pos or self.halted:  # a halted strategy holds what it has until a restart
            return None
        return self.submit(Intent(instrument, -1 if pos > 0 else 1, abs(pos), limit, urgency,
                                  tag=tag))

    def set_timer(self, delay_ns: int) -> None:
        self._context().set_timer(self, delay_ns)

    def listen(self, *, quotes: bool | None = None, trades: bool | None = None) -> None:
        """Say whether `on_market_data` needs quotes (trades) from now on; None leaves that
        kind as it is. A strategy whose hook would do nothing with a quote in its present
        state (a market maker with its quotes out waits for its timer) says so, and the
        engine does not call it with quotes until it listens again; say it wherever that
        state changes, so the hook hears every event it would act on. Statuses and bands are
        always heard. A change made while an event's hooks run counts from the next hook on
        (an earlier strategy's hook that makes this one listen again: this one hears the
        event)."""
        changed = False
        if quotes is not None and quotes != self.hears_quotes:
            self.hears_quotes = quotes
            changed = True
        if trades is not None and trades != self.hears_trades:
            self.hears_trades = trades
            changed = True
        if changed and self._ctx is not None:
            self._ctx.listening(self)

    # --- queries -----------------------------------------------------------------------------

    @property
    def now_ns(self) -> int:
        return self._context().now_ns()

    @property
    def mode(self) -> str:
        return self._context().mode(self)

    @property
    def halted(self) -> bool:
        """Layer 2 has halted this strategy: every order it sends is refused until an operator
        restarts it, so it should send none (each refusal is journaled)."""
        return self._context().halted(self)

    @property
    def preservation(self) -> bool:
        return self.mode == PRESERVATION

    def position(self, instrument: str) -> int:
        return self._context().position(self, instrument)

    def quote(self, instrument: str) -> tuple[int, int]:
        """(bid, ask) across the venues, 0 for an empty side."""
        return self._context().quote(instrument)

    def working(self, parent_id: str) -> bool:
        return self._context().working(self, parent_id)

    # --- wiring ------------------------------------------------------------------------------

    def attach(self, ctx: StrategyContext) -> None:
        if self._ctx is not None and self._ctx is not ctx:
            raise StrategyWiringError(f"strategy {self.name!r} is already attached to an engine")
        self._ctx = ctx

    def _context(self) -> StrategyContext:
        if self._ctx is None:
            raise StrategyWiringError(
                f"strategy {self.name!r} is not attached to an engine: add it to a "
                "TradingSystem (or StrategyEngine) first"
            )
        return self._ctx
