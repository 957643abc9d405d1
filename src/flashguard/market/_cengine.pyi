"""Types of the C matching engine (_cengine.c); the reference is matching.PyMatchingEngine."""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flashguard.core.events import CancelOrder, Event, ModifyOrder, NewOrder
from flashguard.core.orders import SelfTradePrevention, Side
from flashguard.market.book import RestingOrder

class OrderBook:
    @property
    def instrument(self) -> str: ...
    def best_bid(self) -> int | None: ...
    def best_ask(self) -> int | None: ...
    def l1(self) -> tuple[int | None, int, int | None, int]: ...
    def levels(self, side: Side | int, depth: int | None = None) -> list[tuple[int, int]]: ...
    def l2(
        self, depth: int | None = None
    ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]: ...
    def l3(
        self, side: Side | int, depth: int | None = None
    ) -> list[tuple[int, list[RestingOrder]]]: ...
    def depth_qty(self, side: Side | int, levels: int | None = None) -> int: ...
    def lots_within(self, side: Side | int, limit: float, depth: int) -> int: ...
    def crossed(self) -> bool: ...
    def order(self, order_id: int) -> RestingOrder | None: ...
    def order_count(self) -> int: ...

class MatchingEngine:
    venue: str
    stp: int
    trade_seq: int
    def __init__(
        self,
        venue: str,
        instruments: Iterable[str],
        stp: SelfTradePrevention | int = ...,
    ) -> None: ...
    @property
    def books(self) -> Mapping[str, OrderBook]: ...
    def book(self, instrument: str) -> OrderBook: ...
    def handle(self, request: Event) -> list[Event]: ...
    def submit(self, r: NewOrder) -> list[Event]: ...
    def cancel(self, r: CancelOrder, reason: str = "user") -> list[Event]: ...
    def modify(self, r: ModifyOrder) -> list[Event]: ...
    def cancel_all(
        self, t_ns: int, owner: int | None = None, reason: str = "cancel_all"
    ) -> list[Event]: ...
    def expire_day_orders(self, t_ns: int) -> list[Event]: ...

class VenueCore:
    """The base of venue.VenueBase when built (reference: venue._PyVenueCore)."""

    name: str
    loop: Any
    status: dict[str, str]
    engine: Any
    guard: Any
    messages: int
    _latency: dict[int, int]
    _entry_latency_ns: int
    _routes: dict[int, tuple[Callable[[Event], None], int]]
    _subscribers: list[Callable[[Event], None]]
    _next_order_id: int
    _arrive_cb: Callable[[Event], None]
    _guard_top: dict[str, tuple[int | None, int | None]]
    config: Any
    _last_l1: dict[str, tuple[int | None, int, int | None, int]]
    def submit(
        self,
        owner: int,
        instrument: str,
        side: Side | int,
        qty: int,
        price: int = 0,
        order_type: int = 1,
        tif: int = 1,
        client_order_id: str = "",
    ) -> int: ...
    def cancel(self, owner: int, instrument: str, order_id: int) -> None: ...
    def modify(self, owner: int, instrument: str, order_id: int, price: int, qty: int) -> None: ...
    def _report(self, events: list[Event]) -> None: ...
    def _lit_arrive(self, request: Event) -> None: ...

class NoiseCore:
    """agents.noise.NoiseTraders._act and _schedule in C."""

    def __init__(
        self,
        params: Any,
        lit: list[Any],
        sym: str,
        first_owner: int,
        orders: list[list[tuple[int, int]]],
        venue_cum: list[float],
        uniform: Callable[[], float],
        exponential: Callable[[], float],
        signals: Any,
        activity: Any,
        loop: Any,
        size_scale: float,
        mean_wait_ns: float,
    ) -> None: ...
    def act(self) -> None: ...
    def schedule(self) -> None: ...

class Slots:
    """agents.quoting.PySlots in C."""

    world: Any
    owner: int
    slots: dict[tuple[int, int, int], tuple[int, int, int]]
    by_id: dict[int, tuple[int, int, int]]
    inventory: int
    traded: int
    version: int
    def __init__(self, world: Any, owner: int) -> None: ...
    def place(self, vi: int, side: int, level: int, price: int, qty: int) -> None: ...
    def on_report(self, ev: Event) -> None: ...
    def pull_all(self) -> None: ...
    def live(self) -> int: ...

class MmCore:
    """agents.market_maker.MarketMaker._wake and _schedule in C."""

    out_until: int
    back_ns: int
    def __init__(
        self,
        params: Any,
        lit: list[Any],
        sym: str,
        slots: Slots,
        uniform: Callable[[], float],
        signals: Any,
        loop: Any,
        sizes: list[int],
        move_limit: float,
        flow_limit: float,
    ) -> None: ...
    def wake(self) -> None: ...
    def schedule(self) -> None: ...

class DrawStream:
    """agents.base._py_stream in C: calling it returns the next number of block(), block(), ..."""

    def __init__(self, block: Callable[[], Any]) -> None: ...
    def __call__(self) -> float: ...

def nbbo(lit: list[Any], instrument: str) -> tuple[int | None, int | None]: ...
def venue_nbbo(lit: list[Any], instrument: str) -> tuple[int | None, int | None]: ...

class LuldCore:
    """protections.luld.PyLuld in C (protections.luld.Luld sets it up)."""

    params: Any
    _ref_num: int
    _ref_den: int
    @property
    def status(self) -> str: ...
    def _setup(
        self,
        params: Any,
        tick: Any,
        tier: int,
        midnight_ns: int,
        doubling: tuple[tuple[int, int], ...],
        ref_window_ns: int,
        move_num: int,
        move_den: int,
        limit_state_ns: int,
        pause_ns: int,
        extension_ns: int,
        enabled: bool,
    ) -> None: ...
    def on_trade(self, t_ns: int, price_ticks: int, qty: int) -> None: ...
    def on_quote(self, t_ns: int, best_bid: int | None, best_ask: int | None) -> list[Any]: ...
    def poll(self, t_ns: int) -> list[Any]: ...
    def reopened(self, t_ns: int, price_ticks: int | None) -> list[Any]: ...
    def extend(self, t_ns: int) -> list[Any]: ...
    def bands(self, t_ns: int) -> tuple[int, int] | None: ...
    def allows(self, t_ns: int, price_ticks: int) -> bool: ...
    def next_deadline(self) -> int | None: ...

class StopCore:
    """protections.stop_logic.PyStopLogic in C (protections.stop_logic.StopLogic sets it up)."""

    params: Any
    @property
    def status(self) -> str: ...
    def _setup(self, params: Any, ticks: int, window_ns: int, pause_ns: int, enabled: bool) -> None: ...
    def on_trade(self, t_ns: int, price_ticks: int) -> None: ...
    def limit_price(self, t_ns: int, side: int) -> int | None: ...
    def trigger(self, t_ns: int, reason: str = "stop_logic") -> Any: ...
    def poll(self, t_ns: int) -> list[Any]: ...
    def reopened(self, t_ns: int, price_ticks: int | None) -> list[Any]: ...
    def next_deadline(self) -> int | None: ...

class GuardCore:
    """exchange._PyGuardCore in C: the base of exchange.Market."""

    _guards: dict[tuple[str, str], Any]
    _clamped: tuple[int, int, int, str] | None
    last_price: dict[str, int]
    trade_listeners: list[Callable[[Any, Any], None]]
    _luld: dict[str, Any]
    _wide: dict[str, str]
    _bands: dict[str, tuple[int, int] | None]
    _timer_at: dict[object, int]
    lit: list[Any]
    dark: list[Any]
    def admit(self, venue: Any, order: NewOrder) -> Any: ...
    def after(self, venue: Any, request: Event, events: list[Event]) -> None: ...
    def _on_top_change(self, sym: str, t: int) -> None: ...

class SipCore:
    """sip.PySip in C: market.sip.Sip when built."""

    loop: Any
    latency_ns: int
    last_trade: dict[str, int]
    _subscribers: list[Callable[[Event], None]]
    _deliver_cb: Callable[[Event], None]
    def __init__(self, loop: Any, latency_ns: int = 500_000) -> None: ...
    def subscribe(self, listener: Callable[[Event], None]) -> None: ...
    def on_event(self, event: Event) -> None: ...
    def nbbo(self, instrument: str) -> tuple[int, int, int, int]: ...
    def _deliver(self, event: Event) -> None: ...

# VenueCore method descriptors: venue._PyVenueCore._broadcast and _deliver in C (VenueBase's)
venue_broadcast: Callable[[VenueCore, list[Event]], None]
venue_deliver: Callable[[VenueCore, list[Event]], None]

class TradeTap:
    """tap.PyTradeTap in C: the simulation's trade listener."""

    signals: Any
    stops: Any
    sink: Callable[[Event], object] | None
    volume: dict[str, int]
    last: dict[str, int]
    trades: int
    def __init__(self, signals: Any, stops: Any, sink: Callable[[Event], object] | None = None) -> None: ...
    def __call__(self, venue: Any, trade: Event) -> None: ...
