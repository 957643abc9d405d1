"""The C matching engine against the Python reference (`PyMatchingEngine`).

Both engines take the same request streams; every call must return equal event lists, message
by message, and the books must show the same L1/L2/L3 views. Streams are random (seeded, and
from hypothesis) and cover passive and marketable limit orders, IOC, FOK, market orders,
modifies of every kind, cancels, rejects, every self-trade-prevention mode, cancel_all and the
end-of-day expiry.
"""

from __future__ import annotations

import importlib.util
import os
import random
import subprocess
import sys
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flashguard.core.events import CancelOrder, Event, ModifyOrder, NewOrder, OrderModified
from flashguard.core.orders import OrderType, SelfTradePrevention, Side, TimeInForce
from flashguard.market.matching import PyMatchingEngine

try:
    from flashguard.market import _cengine
except ImportError:  # not built
    _cengine = None  # type: ignore[assignment]
CMatchingEngine: Any = getattr(_cengine, "MatchingEngine", None)

needs_c = pytest.mark.skipif(
    CMatchingEngine is None,
    reason="flashguard.market._cengine is not built (installed with FLASHGUARD_PURE=1 or "
    "without a C compiler)",
)

REPO = Path(__file__).resolve().parents[2]
VENUE = "XTST"
SYMBOLS = ("ES", "NQ")
STP_MODES = list(SelfTradePrevention)

# An operation on an engine: a request, or a session call with its arguments.
Op = tuple[str, Any]


def apply(engine: Any, op: Op) -> list[Event]:
    kind, arg = op
    if kind == "handle":
        result: list[Event] = engine.handle(arg)
    elif kind == "cancel_all":
        result = engine.cancel_all(*arg)
    elif kind == "expire":
        result = engine.expire_day_orders(arg)
    elif kind == "stp":
        engine.stp = arg
        result = []
    else:
        raise AssertionError(kind)
    return result


def order_row(o: Any) -> tuple[Any, ...]:
    return (o.order_id, o.client_order_id, o.owner, o.side, o.price, o.qty, o.tif, o.t_ns)


def views(engine: Any, symbols: tuple[str, ...] = SYMBOLS) -> list[Any]:
    out: list[Any] = [engine.trade_seq, engine.stp]
    for sym in symbols:
        b = engine.book(sym)
        # lots_within: the levels' prefix no further out than a (float) limit
        lim_b = (b.best_bid() or 0) - 2.5
        lim_a = (b.best_ask() or 0) + 2.5
        within = (b.lots_within(Side.BUY, lim_b, 64), b.lots_within(Side.SELL, lim_a, 2),
                  b.lots_within(1, float("nan"), 64), b.lots_within(-1, float("nan"), 0))
        assert within == (
            sum(q for px, q in b.levels(1, 64) if not px - lim_b < 0),
            sum(q for px, q in b.levels(-1, 2) if not lim_a - px < 0),
            b.depth_qty(1, 64), 0,
        )
        out.append(within)
        out.append(
            (
                b.best_bid(),
                b.best_ask(),
                b.l1(),
                b.l2(),
                b.l2(2),
                b.levels(Side.BUY, 3),
                b.levels(-1, 0),
                b.depth_qty(Side.BUY),
                b.depth_qty(Side.SELL, 2),
                b.crossed(),
                b.order_count(),
                [
                    [(px, [order_row(o) for o in orders]) for px, orders in b.l3(side)]
                    for side in (Side.BUY, Side.SELL)
                ],
                [(px, len(orders)) for px, orders in b.l3(Side.SELL, 1)],
            )
        )
    return out


def assert_same(py_events: list[Event], c_events: list[Event], i: int, op: Op) -> None:
    assert c_events == py_events, f"message {i}: {op}"


def assert_same_repr(py_events: list[Event], c_events: list[Event], i: int, op: Op) -> None:
    """Stricter: the same objects' types too (an IntEnum side stays an IntEnum)."""
    assert repr(c_events) == repr(py_events), f"message {i}: {op}"


# --- a random stream generator that watches the reference book --------------------------------


class Stream:
    """Generates requests near the touch of the reference engine's books, so that orders rest,
    cross, partially fill, get cancelled and modified; ids of live orders come from the book."""

    def __init__(self, ref: PyMatchingEngine, seed: int, owners: int, extras: bool) -> None:
        self.ref = ref
        self.rng = random.Random(seed)
        self.owners = owners
        self.extras = extras
        self.next_id = 1
        self.live: dict[str, list[int]] = {sym: [] for sym in SYMBOLS}
        self.t = 0

    def _side(self) -> int | Side:
        side = self.rng.choice((1, -1))
        # the request's own objects flow into events: mix plain ints and IntEnum members
        return Side(side) if self.rng.random() < 0.3 else side

    def _price_near(self, sym: str, side: int, aggressive: bool) -> int:
        book = self.ref.book(sym)
        bb, ba = book.best_bid(), book.best_ask()
        offset = 1 + int(self.rng.expovariate(0.5))
        if aggressive:
            ref_px = ba if side == 1 else bb
            base = ref_px if ref_px is not None else 1_000
            return max(1, base + (offset if side == 1 else -offset))
        ref_px = ba if side == 1 else bb
        if ref_px is None:
            ref_px = 1_001 if side == 1 else 999
        return max(1, ref_px - offset if side == 1 else ref_px + offset)

    def _live_id(self, sym: str) -> int | None:
        ids = self.live[sym]
        while ids:
            j = self.rng.randrange(len(ids))
            oid = ids[j]
            if self.ref.book(sym).order(oid) is not None:
                return oid
            ids[j] = ids[-1]
            ids.pop()
        return None

    def new_order(self, sym: str, marketable: bool) -> NewOrder:
        rng = self.rng
        side = self._side()
        tif: int | TimeInForce = TimeInForce.DAY
        order_type: int | OrderType = OrderType.LIMIT
        u = rng.random()
        if marketable:
            tif = rng.choice((TimeInForce.IOC, TimeInForce.IOC, TimeInForce.FOK, 1, 2))
        elif u < 0.3:
            tif = TimeInForce.GTC
        elif u < 0.35:
            tif = rng.choice((0, 7))  # not a TimeInForce: rests like GTC, never expires
        elif u < 0.5:
            tif = int(TimeInForce.DAY)
        price = self._price_near(sym, int(side), marketable)
        qty = 1 + rng.randrange(30 if marketable else 10)
        if marketable and rng.random() < 0.1:
            qty = 200  # takes every level up to its limit: an IOC remainder
        oid = self.next_id
        self.next_id += 1
        if self.extras and rng.random() < 0.06:
            order_type = OrderType.MARKET
            tif = rng.choice((TimeInForce.IOC, TimeInForce.DAY, TimeInForce.FOK))
            price = rng.choice((0, price, -1))
            if rng.random() < 0.2:
                qty = 1_000  # sweeps the side: the remainder finds no liquidity
                marketable = True
        if self.extras and rng.random() < 0.05:
            bad = rng.randrange(5)
            if bad == 0:
                qty = rng.choice((0, -3))
            elif bad == 1:
                price = rng.choice((0, -7))
            elif bad == 2:
                side = rng.choice((0, 2, -2))
            elif bad == 3 and sym in self.live:
                oid = self._live_id(sym) or oid  # a duplicate of a live order
            else:
                sym = "XX"  # unknown instrument
        owner = rng.randrange(self.owners)
        if marketable and rng.random() < 0.3:
            owner = self.owners  # a taker with (almost) nothing resting: STP rarely stops it
        if sym in self.live:
            self.live[sym].append(oid)
        return NewOrder(
            self.t, VENUE, sym, oid, f"c{oid}", owner, side, order_type, tif, price, qty
        )

    def cancel(self, sym: str) -> CancelOrder:
        oid = self._live_id(sym)
        u = self.rng.random()
        if oid is None or u < 0.03:
            return CancelOrder(self.t, VENUE, sym, self.next_id + 1_000, 0)  # unknown
        owner = self.ref.book(sym).order(oid).owner  # type: ignore[union-attr]
        if u < 0.06:
            owner = owner + 1  # not the owner
        if u < 0.08:
            sym = "XX"
        return CancelOrder(self.t, VENUE, sym, oid, owner)

    def modify(self, sym: str) -> ModifyOrder:
        rng = self.rng
        oid = self._live_id(sym)
        if oid is None:
            return ModifyOrder(self.t, VENUE, sym, 10**9, 0, 100, 1)
        o = self.ref.book(sym).order(oid)
        assert o is not None
        owner, price, qty = o.owner, o.price, o.qty
        u = rng.random()
        if u < 0.25:
            qty = max(1, qty - 1 - rng.randrange(3))  # keeps priority
        elif u < 0.35:
            pass  # no change at all: keeps priority
        elif u < 0.5:
            qty = qty + 1 + rng.randrange(5)  # loses priority
        elif u < 0.8:
            price = self._price_near(sym, o.side, rng.random() < 0.5)  # may cross
        elif u < 0.85:
            qty = rng.choice((0, -1))
        elif u < 0.9:
            price = rng.choice((0, -2))
        elif u < 0.95:
            owner = owner + 1
        else:
            oid = oid + 10**9
        return ModifyOrder(self.t, VENUE, sym, oid, owner, price, qty)

    def next(self) -> Op:
        rng = self.rng
        self.t += 1_000
        sym = SYMBOLS[0] if rng.random() < 0.8 else SYMBOLS[1]
        u = rng.random()
        book = self.ref.book(sym)
        if u < 0.50 or book.order_count() < 50:
            return ("handle", self.new_order(sym, marketable=False))
        if u < 0.75:
            return ("handle", self.cancel(sym))
        if u < 0.85:
            return ("handle", self.new_order(sym, marketable=True))
        if self.extras or u < 0.90:
            if u < 0.997:
                return ("handle", self.modify(sym))
            if u < 0.9985:
                owner = rng.choice((None, rng.randrange(self.owners)))
                return ("cancel_all", (self.t, owner, rng.choice(("cancel_all", "kill"))))
            return ("expire", self.t)
        return ("handle", self.new_order(sym, marketable=False))


def drive(
    seed: int,
    n: int,
    stp: SelfTradePrevention,
    owners: int,
    check_views_every: int,
    compare: Callable[[list[Event], list[Event], int, Op], None] = assert_same,
    switch_stp_every: int = 0,
) -> Counter[str]:
    """Run a stream through both engines; returns how often each kind of outcome happened."""
    assert CMatchingEngine is not None
    py = PyMatchingEngine(VENUE, SYMBOLS, stp)
    c = CMatchingEngine(VENUE, SYMBOLS, stp)
    stream = Stream(py, seed, owners, extras=True)
    seen: Counter[str] = Counter()
    for i in range(n):
        if switch_stp_every and i % switch_stp_every == 0:
            op: Op = ("stp", STP_MODES[(i // switch_stp_every) % len(STP_MODES)])
        else:
            op = stream.next()
        py_events = apply(py, op)
        c_events = apply(c, op)
        compare(py_events, c_events, i, op)
        seen.update(outcome(e) for e in py_events)
        if check_views_every and i % check_views_every == 0:
            assert views(c) == views(py), f"views after message {i}"
    assert views(c) == views(py)
    for sym in SYMBOLS:
        for oid in range(1, stream.next_id, 7):
            pyo, co = py.book(sym).order(oid), c.book(sym).order(oid)
            assert (pyo is None) == (co is None)
            if pyo is not None:
                assert order_row(co) == order_row(pyo)
    seen["trades"] = py.trade_seq
    return seen


def outcome(e: Event) -> str:
    name = type(e).__name__
    if isinstance(e, OrderModified):
        return f"{name}:{'kept' if e.priority_kept else 'lost'}"
    reason = getattr(e, "reason", None)
    return name if reason is None else f"{name}:{reason}"


EVERY_OUTCOME = {
    "OrderAccepted", "Trade", "OrderFilled", "OrderExpired",
    "OrderCancelled:user", "OrderCancelled:ioc_remainder", "OrderCancelled:fok_unfillable",
    "OrderCancelled:no_liquidity", "OrderCancelled:cancel_all", "OrderCancelled:kill",
    "OrderModified:kept", "OrderModified:lost",
    "OrderRejected:invalid_qty", "OrderRejected:invalid_price", "OrderRejected:invalid_side",
    "OrderRejected:duplicate_order_id", "OrderRejected:unknown_instrument",
    "RequestRejected:unknown_order", "RequestRejected:not_owner",
}  # fmt: skip


# --- seeded streams ----------------------------------------------------------------------------


@needs_c
@pytest.mark.parametrize("stp", STP_MODES, ids=lambda s: s.name)
def test_random_stream_with_few_owners_hits_every_stp_path(stp: SelfTradePrevention) -> None:
    seen = drive(
        seed=100 + int(stp), n=8_000, stp=stp, owners=4, check_views_every=250,
        compare=assert_same_repr,
    )
    expected = set(EVERY_OUTCOME)
    if stp != SelfTradePrevention.NONE:
        expected.add("OrderCancelled:self_trade")
    assert expected <= set(seen), expected - set(seen)
    assert seen["trades"] > 500


@needs_c
def test_200k_benchmark_like_stream_with_every_stp_mode() -> None:
    seen = drive(
        seed=7, n=200_000, stp=SelfTradePrevention.CANCEL_RESTING, owners=64,
        check_views_every=5_000, switch_stp_every=10_000,
    )
    assert EVERY_OUTCOME | {"OrderCancelled:self_trade"} <= set(seen)
    assert seen["trades"] > 20_000


@needs_c
def test_benchmark_stream_is_identical() -> None:
    """The benchmark's own workload through both engines (20k messages)."""
    spec = importlib.util.spec_from_file_location("bench_matching", REPO / "bench" / "matching.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    msgs = bench.workload(20_000)
    py = PyMatchingEngine(bench.VENUE, [bench.SYMBOL])
    c = CMatchingEngine(bench.VENUE, [bench.SYMBOL])
    for i, m in enumerate(msgs):
        assert_same(py.handle(m), c.handle(m), i, ("handle", m))
    assert views(c, (bench.SYMBOL,)) == views(py, (bench.SYMBOL,))


# --- hypothesis: short streams over a tiny price grid ------------------------------------------

ids = st.integers(1, 12)
owners = st.integers(0, 2)
prices = st.integers(-1, 6)
qtys = st.integers(-1, 6)
instruments = st.sampled_from(("ES", "ES", "ES", "NQ", "XX"))
t_ns = st.integers(0, 10**12)

new_orders = st.builds(
    NewOrder,
    t_ns,
    st.just(VENUE),
    instruments,
    ids,
    st.sampled_from(("", "a", "b")),
    owners,
    st.sampled_from((1, -1, 1, -1, Side.BUY, Side.SELL, 0)),
    st.sampled_from((1, 1, 1, 2, OrderType.LIMIT)),
    st.sampled_from((1, 2, 3, 4, 0, 7, TimeInForce.DAY, TimeInForce.FOK)),
    prices,
    qtys,
)
cancels = st.builds(CancelOrder, t_ns, st.just(VENUE), instruments, ids, owners)
modifies = st.builds(ModifyOrder, t_ns, st.just(VENUE), instruments, ids, owners, prices, qtys)
ops = st.one_of(
    new_orders.map(lambda r: ("handle", r)),
    new_orders.map(lambda r: ("handle", r)),
    cancels.map(lambda r: ("handle", r)),
    modifies.map(lambda r: ("handle", r)),
    st.tuples(t_ns, st.one_of(st.none(), owners), st.just("cancel_all")).map(
        lambda a: ("cancel_all", a)
    ),
    t_ns.map(lambda t: ("expire", t)),
    st.sampled_from(STP_MODES).map(lambda s: ("stp", s)),
)


@needs_c
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stp=st.sampled_from(STP_MODES), stream=st.lists(ops, max_size=60))
def test_hypothesis_streams(stp: SelfTradePrevention, stream: list[Op]) -> None:
    py = PyMatchingEngine(VENUE, SYMBOLS, stp)
    c = CMatchingEngine(VENUE, SYMBOLS, stp)
    for i, op in enumerate(stream):
        assert_same_repr(apply(py, op), apply(c, op), i, op)
        assert views(c) == views(py), f"views after message {i}: {op}"


# --- edges -------------------------------------------------------------------------------------


def both(stp: SelfTradePrevention = SelfTradePrevention.CANCEL_RESTING) -> tuple[Any, Any]:
    assert CMatchingEngine is not None
    return PyMatchingEngine(VENUE, SYMBOLS, stp), CMatchingEngine(VENUE, SYMBOLS, stp)


def new(oid: int, side: int, price: Any, qty: int, owner: int = 1, **kw: Any) -> NewOrder:
    return NewOrder(
        kw.get("t", 1), VENUE, kw.get("sym", "ES"), oid, kw.get("coid", f"c{oid}"), owner, side,
        kw.get("order_type", OrderType.LIMIT), kw.get("tif", TimeInForce.GTC), price, qty,
    )


@needs_c
def test_huge_sizes_and_prices_beyond_int64_sums() -> None:
    """Level and depth totals exceed int64 (Python ints do not overflow; neither may we), and
    asks priced above 2**62 are out of a market order's reach in both engines."""
    big = 2**62
    reqs = [new(i, -1, 2**63 - 10 + i, big) for i in range(1, 4)]
    for tif in (TimeInForce.FOK, TimeInForce.IOC):
        reqs.append(new(9, 1, 0, 5, owner=9, order_type=OrderType.MARKET, tif=tif))
    reqs += [new(10 + i, -1, 500, big, owner=i) for i in range(4)]
    reqs += [new(20 + i, 1, 400, 2**63 - 1, owner=i) for i in range(3)]
    reqs.append(new(30, 1, 0, 2**63 - 1, owner=9, order_type=OrderType.MARKET,
                    tif=TimeInForce.IOC))
    reqs.append(new(31, 1, 0, 5, owner=9, order_type=OrderType.MARKET, tif=TimeInForce.IOC))
    py, c = both()
    for i, r in enumerate(reqs):
        assert_same_repr(py.handle(r), c.handle(r), i, ("handle", r))
    assert views(c) == views(py)
    assert c.book("ES").depth_qty(Side.BUY) == 3 * (2**63 - 1)
    assert c.book("ES").l2()[1][0] == (500, 4 * big - (2**63 - 1) - 5)


@needs_c
def test_market_order_price_is_not_read() -> None:
    py, c = both()
    r = new(1, 1, None, 5, order_type=OrderType.MARKET, tif=TimeInForce.IOC)
    assert c.handle(r) == py.handle(r)
    assert c.handle(r)[-1].reason == "no_liquidity"


@needs_c
@pytest.mark.parametrize(
    "request_",
    [
        new(1, 1, "100", 5),
        new(1, 1, 100, None),  # type: ignore[arg-type]
        ModifyOrder(1, VENUE, "ES", 1, 1, 100, "5"),  # type: ignore[arg-type]
    ],
)
def test_wrong_types_raise_type_error_in_both(request_: Event) -> None:
    py, c = both()
    resting = new(1, 1, 100, 5, sym="NQ" if isinstance(request_, NewOrder) else "ES")
    assert c.handle(resting) == py.handle(resting)
    with pytest.raises(TypeError):
        py.handle(request_)
    with pytest.raises(TypeError, match=r"(price|qty)="):
        c.handle(request_)


@needs_c
@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (new(1, 1, 100, 2**63), "qty"),
        (new(1, 1, 2**64, 5), "price"),
        (new(2**63, 1, 100, 5), "order_id"),
        (new(1, 1, 100, 5, owner=-(2**63) - 1), "owner"),
    ],
)
def test_values_beyond_int64_raise_value_error_naming_the_field(
    request_: NewOrder, field: str
) -> None:
    _, c = both()
    with pytest.raises(ValueError, match=f"NewOrder.{field}="):
        c.handle(request_)
    assert c.book("ES").order_count() == 0


@needs_c
def test_out_of_range_ids_and_negative_sizes_are_rejected_like_python() -> None:
    py, c = both()
    reqs: list[Event] = [
        new(1, 1, 100, -(2**70)),
        new(1, 1, -(2**70), 5),
        CancelOrder(1, VENUE, "ES", 2**70, 1),
        ModifyOrder(1, VENUE, "ES", 2**70, 1, 100, 5),
        new(1, 1, 100, 5),
        CancelOrder(1, VENUE, "ES", 1, 2**70),
        ModifyOrder(1, VENUE, "ES", 1, 1, 100, -(2**70)),
        ModifyOrder(1, VENUE, "ES", 1, 1, -(2**70), 5),
    ]
    for i, r in enumerate(reqs):
        assert_same_repr(py.handle(r), c.handle(r), i, ("handle", r))


@needs_c
def test_api_surface_matches() -> None:
    py, c = both(SelfTradePrevention.CANCEL_BOTH)
    assert (c.venue, c.stp, c.trade_seq) == (py.venue, py.stp, py.trade_seq) == (VENUE, 3, 0)
    assert list(c.books) == list(py.books) == list(SYMBOLS)
    assert c.books["ES"].instrument == "ES"
    with pytest.raises(TypeError):
        c.books["ZZ"] = c.book("ES")  # a read-only view
    with pytest.raises(KeyError):
        c.book("ZZ")
    with pytest.raises(KeyError):
        py.book("ZZ")
    msg = "request=Quote is not a venue request"
    from flashguard.core.events import Quote

    q = Quote(1, VENUE, "ES", 1, 1, 2, 1)
    with pytest.raises(TypeError, match=msg):
        py.handle(q)
    with pytest.raises(TypeError, match=msg):
        c.handle(q)
    engines: list[Any] = [PyMatchingEngine, CMatchingEngine]
    for cls in engines:
        with pytest.raises(ValueError, match="5"):
            cls(VENUE, SYMBOLS, 5)
    with pytest.raises(ValueError, match="stp=5"):
        c.stp = 5
    r = new(1, 1, 100, 5)
    assert c.submit(r) == py.submit(r)
    cx = CancelOrder(2, VENUE, "ES", 1, 1)
    assert c.cancel(cx, reason="risk") == py.cancel(cx, reason="risk")
    assert c.submit(new(2, 1, 100, 5)) == py.submit(new(2, 1, 100, 5))
    assert c.cancel_all(3, owner=1, reason="kill") == py.cancel_all(3, owner=1, reason="kill")
    c.trade_seq = py.trade_seq = 41
    for e in (c, py):
        e.handle(new(5, 1, 100, 5, owner=1))
    assert c.handle(new(6, -1, 100, 5, owner=2)) == py.handle(new(6, -1, 100, 5, owner=2))
    assert c.trade_seq == py.trade_seq == 42
    assert c.book("ES").order(10**30) is None
    # keyword calls work as in Python
    for e in (c, py):
        e.handle(request=new(7, -1, 103, 4, owner=3))
        e.submit(r=new(8, -1, 104, 4, owner=3, tif=TimeInForce.DAY))
        e.modify(r=ModifyOrder(4, VENUE, "ES", 7, 3, 103, 2))
    cb, pb = c.book(instrument="ES"), py.book(instrument="ES")
    assert order_row(cb.order(order_id=7)) == order_row(pb.order(order_id=7))
    assert cb.levels(side=-1, depth=1) == pb.levels(side=-1, depth=1) == [(103, 2)]
    assert cb.l3(side=-1, depth=1)[0][0] == pb.l3(side=-1, depth=1)[0][0]
    assert cb.depth_qty(side=-1, levels=2) == pb.depth_qty(side=-1, levels=2) == 6
    assert cb.l2(depth=1) == pb.l2(depth=1)
    assert c.expire_day_orders(t_ns=9) == py.expire_day_orders(t_ns=9)
    assert len(c.expire_day_orders(9)) == 0
    with pytest.raises(TypeError, match="unexpected keyword argument 'foo'"):
        c.handle(foo=1)
    with pytest.raises(TypeError, match="order_id="):
        c.book("ES").order("1")


@needs_c
def test_no_references_or_memory_are_kept() -> None:
    """Orders hold references to their request objects; once they leave the book (or the
    engine goes away) the references and the C memory must be released."""
    # fresh objects, not shared with any code, so their reference counts are ours alone
    coid, t, price = "".join(["leak", "-probe"]), int("10" * 10), int("9" * 3)
    owner, oid = int("5000"), int("7" * 12)
    tif = int(TimeInForce.GTC)  # a small cached int: not a probe
    probes = (coid, t, price, owner, oid, Side.BUY, Side.SELL)
    base = [sys.getrefcount(x) for x in probes]
    engine = CMatchingEngine(VENUE, SYMBOLS)
    engine.handle(new(oid, Side.BUY, price, 5, owner, coid=coid, t=t, tif=tif))
    for i in range(1, 101):
        engine.handle(new(i, Side.BUY, price, 5, owner, coid=coid, t=t, tif=tif))
        if i % 4 == 0:
            engine.handle(ModifyOrder(t, VENUE, "ES", i, owner, price - i % 3, 3 + i % 5))
    assert [sys.getrefcount(x) for x in probes] > base
    engine.handle(new(1000, -1, 1, 200, owner=2, tif=TimeInForce.IOC, coid=coid, t=t))
    assert engine.book("ES").order_count() > 0
    engine.cancel_all(5)
    assert [sys.getrefcount(x) for x in probes] == base
    for i in range(1, 101):
        engine.handle(new(i, Side.SELL, price + i % 7, 5, owner, coid=coid, t=t, tif=tif))
    engine.handle(new(oid, Side.BUY, price, 5, owner, coid=coid, t=t, tif=tif))
    del engine
    assert [sys.getrefcount(x) for x in probes] == base

    def churn() -> None:
        e = CMatchingEngine(VENUE, SYMBOLS)
        for i in range(1, 5_001):
            e.handle(new(i, 1 if i % 2 else -1, 1_000 + (i % 50) * (1 if i % 2 else -1) +
                         (0 if i % 2 else 60), 3))
            if i % 3 == 0:
                e.handle(CancelOrder(i, VENUE, "ES", i - 1, 1))
        e.book("ES").l3(Side.BUY)

    tracemalloc.start()
    try:
        churn()
        first = tracemalloc.get_traced_memory()[0]
        for _ in range(5):
            churn()
        last = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert last - first < 64 * 1024, (first, last)


def test_flashguard_pure_forces_the_python_engine() -> None:
    code = (
        "from flashguard.market import matching as m;"
        "print(m.IMPLEMENTATION, m.MatchingEngine is m.PyMatchingEngine)"
    )
    env = {**os.environ, "FLASHGUARD_PURE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["python", "True"]


@needs_c
def test_c_engine_is_the_default_when_built() -> None:
    env = {k: v for k, v in os.environ.items() if k != "FLASHGUARD_PURE"}
    code = "from flashguard.market import matching as m; print(m.IMPLEMENTATION)"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "c"


@needs_c
def test_re_entrant_calls_are_refused_not_crashes() -> None:
    """Python code can run inside the engine (deallocators of the objects it lets go); a call
    back into the same book then gets a RuntimeError instead of half-updated structures."""
    engine = CMatchingEngine(VENUE, SYMBOLS)
    errors: list[str] = []

    class Price(int):
        def __del__(self) -> None:
            try:
                engine.handle(CancelOrder(9, VENUE, "ES", 1, 1))
            except RuntimeError as e:
                errors.append(str(e))

    engine.handle(new(1, 1, Price(100), 5))
    # the order re-enters at a new price: the engine drops the last reference to Price(100)
    events = engine.handle(ModifyOrder(2, VENUE, "ES", 1, 1, 101, 5))
    assert [type(e).__name__ for e in events] == ["OrderModified"]
    assert errors == ["order book 'ES' is in use: re-entrant call into the matching engine"]
    assert engine.book("ES").l2() == ([(101, 5)], [])
