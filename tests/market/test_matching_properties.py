"""The matching engine against a brute-force reference book, on random request streams.

Each example drives the engine and `reference_model.ReferenceBook` with the same requests
(adds of every type and time in force, cancels and modifies of live and dead ids, bad
requests, several owners, one self-trade-prevention mode) and checks after every request:

- the same outcomes: fills (maker, taker, price, qty), acks, rejects, cancels with reasons,
  and the same resting book, order by order;
- invariants measured on the engine alone (`Ledger`): per-order quantity conservation,
  every fill paired with its counterparty's, no crossed book at rest, FIFO within a level
  with priority reset by modify exactly as specified, no fill worse than the taker's limit,
  and one life per order id through `OrderState`, which must accept every report.

At the end, expire_day_orders and cancel_all must leave every order in a terminal state.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from reference_model import Outcome, ReferenceBook

from flashguard.core.events import (
    CancelOrder,
    Event,
    ModifyOrder,
    NewOrder,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderRejected,
    RequestRejected,
    Trade,
)
from flashguard.core.orders import (
    OrderState,
    OrderStatus,
    OrderType,
    SelfTradePrevention,
    Side,
    TimeInForce,
)

VENUE = "XPRP"
ES = "ES"
MID = 100
OWNERS = 3
DEAD_ID_BASE = 1_000_000  # ids no order ever had

Op = tuple[Any, ...]

# --- request streams -----------------------------------------------------------------------
# Ops are abstract ("cancel the k-th live order"); `Run.request_for` resolves them against the
# reference book at the moment they are applied, so shrinking keeps them meaningful.

_side = st.sampled_from([1, -1])
_owner = st.integers(min_value=0, max_value=OWNERS - 1)
_price = st.integers(min_value=MID - 3, max_value=MID + 3)
_qty = st.integers(min_value=1, max_value=6)
_pick = st.integers(min_value=0, max_value=1_000)

_tif = st.sampled_from([int(tif) for tif in TimeInForce])
_limit = st.tuples(st.just("limit"), _side, _tif, _price, _qty, _owner)
# a market order's price is ignored, whatever it is
_market = st.tuples(st.just("market"), _side, _tif, st.integers(0, 200), _qty, _owner)
_bad_add = st.tuples(
    st.just("bad_add"),
    st.sampled_from(["zero_qty", "neg_qty", "zero_price", "neg_price", "instrument", "side",
                     "duplicate"]),
    _pick,
)
_cancel = st.tuples(st.just("cancel"), _pick, st.booleans())
_cancel_dead = st.tuples(st.just("cancel_dead"), _pick)
_modify = st.tuples(
    st.just("modify"), _pick, st.integers(min_value=-3, max_value=3), st.integers(-2, 3),
    st.booleans(),
)
_modify_bad = st.tuples(st.just("modify_bad"), _pick, st.sampled_from(["qty", "price", "owner"]))
_modify_dead = st.tuples(st.just("modify_dead"), _pick)
_session = st.tuples(
    st.sampled_from(["expire_day", "cancel_all"]), st.none() | _owner
)

# weights out of 40: mostly limit orders and modifies, so books build up and cross; a session
# op (which empties much of the book) only now and then
_WEIGHTED: dict[str, tuple[int, st.SearchStrategy[Op]]] = {
    "limit": (19, _limit),
    "modify": (7, _modify),
    "cancel": (5, _cancel),
    "market": (3, _market),
    "bad_add": (2, _bad_add),
    "cancel_dead": (1, _cancel_dead),
    "modify_bad": (1, _modify_bad),
    "modify_dead": (1, _modify_dead),
    "session": (1, _session),
}
OPS: st.SearchStrategy[Op] = st.sampled_from(
    [kind for kind, (weight, _) in _WEIGHTED.items() for _ in range(weight)]
).flatmap(lambda kind: _WEIGHTED[kind][1])


# --- invariants measured on the engine -----------------------------------------------------


@dataclass
class OrderFacts:
    state: OrderState
    closed: int = 0  # lots cancelled or expired
    arrival: int = 0  # the step at which it last took a place in a queue


@dataclass
class Ledger:
    """What the engine's reports and views say, checked against itself."""

    orders: dict[int, OrderFacts] = field(default_factory=dict)
    step: int = 0

    def apply(self, request: Any, events: list[Event], before: dict[int, tuple[int, int, int]]) -> None:
        """Apply one request's reports. `before` is the engine's resting book before it:
        order id -> (side, price, open qty)."""
        self.step += 1
        prints = {e.trade_id: e for e in events if isinstance(e, Trade)}
        fills: dict[int, list[OrderFilled]] = {}
        for e in events:
            if isinstance(e, OrderFilled):
                fills.setdefault(e.trade_id, []).append(e)
        assert fills.keys() == prints.keys(), "a fill without its print, or a print without fills"
        for tid, t in prints.items():
            maker, taker = sorted(fills[tid], key=lambda f: not f.maker)
            assert (maker.maker, taker.maker) == (True, False)
            assert (maker.order_id, taker.order_id) == (t.maker_order_id, t.taker_order_id)
            assert maker.price == taker.price == t.price
            assert maker.qty == taker.qty == t.qty > 0
            assert taker.side == t.aggressor == -maker.side
            # a trade happens at the resting order's price ...
            assert maker.order_id in before, "the maker was not resting"
            assert before[maker.order_id][1] == t.price
            # ... and never worse than the taker's limit (a modify re-enters at its new price)
            assert taker.order_id == request.order_id
            market = isinstance(request, NewOrder) and request.order_type == OrderType.MARKET
            if not market:
                limit = request.price
                assert (t.price - limit) * taker.side <= 0, f"trade at {t.price} beyond {limit}"

        for e in events:
            if isinstance(e, OrderAccepted):
                assert e.order_id not in self.orders, f"order {e.order_id} accepted twice"
                facts = OrderFacts(OrderState(e.order_id, Side(e.side), e.qty), arrival=self.step)
                facts.state.accept()
                self.orders[e.order_id] = facts
            elif isinstance(e, OrderRejected):
                if e.reason == "duplicate_order_id":
                    # the reject is about the request, not the live order that has the id
                    assert e.order_id in before
                    continue
                assert e.order_id not in self.orders, f"order {e.order_id} rejected after use"
                rejected = OrderState(e.order_id, Side.BUY, 1)  # a rejected order has no size
                rejected.reject()
                self.orders[e.order_id] = OrderFacts(rejected)
            elif isinstance(e, OrderFilled):
                state = self.orders[e.order_id].state
                state.fill(e.qty)
                assert e.leaves_qty == state.leaves
            elif isinstance(e, OrderCancelled):
                facts = self.orders[e.order_id]
                assert e.cancelled_qty == facts.state.leaves > 0
                facts.closed += e.cancelled_qty
                facts.state.cancel()
            elif isinstance(e, OrderExpired):
                facts = self.orders[e.order_id]
                assert e.expired_qty == facts.state.leaves > 0
                facts.closed += e.expired_qty
                facts.state.expire()
            elif isinstance(e, OrderModified):
                assert isinstance(request, ModifyOrder)
                _, price, open_qty = before[e.order_id]
                kept = request.price == price and request.qty <= open_qty
                assert e.priority_kept == kept
                facts = self.orders[e.order_id]
                facts.state.modify(e.qty)
                if not kept:
                    facts.arrival = self.step
            elif isinstance(e, RequestRejected):
                assert e.order_id == request.order_id
            elif not isinstance(e, Trade):
                raise AssertionError(f"unexpected event {e!r}")

    def check_book(self, book: Any) -> None:
        resting: dict[int, int] = {}
        for side in (1, -1):
            levels = book.l3(side)
            prices = [price for price, _ in levels]
            assert prices == sorted(set(prices), reverse=side == 1), "levels out of order"
            l2 = []
            for price, orders in levels:
                assert orders, f"empty level {price} on display"
                arrivals = [self.orders[o.order_id].arrival for o in orders]
                assert arrivals == sorted(arrivals), f"level {price} is not in arrival order"
                for o in orders:
                    assert o.qty > 0 and o.price == price and o.side == side
                    assert o.order_id not in resting
                    resting[o.order_id] = o.qty
                l2.append((price, sum(o.qty for o in orders)))
            assert book.levels(side) == l2
        bids, asks = book.l2()
        assert book.l1() == (
            *(bids[0] if bids else (None, 0)),
            *(asks[0] if asks else (None, 0)),
        )
        assert not book.crossed()
        if bids and asks:
            assert bids[0][0] < asks[0][0]
        if hasattr(book, "order_count"):
            assert book.order_count() == len(resting)
        lookup = getattr(book, "order", None)
        for oid, facts in self.orders.items():
            s = facts.state
            open_qty = resting.get(oid, 0)
            assert s.qty == s.filled + facts.closed + open_qty or s.status is OrderStatus.REJECTED, (
                f"order {oid}: {s.qty} accepted != {s.filled} filled + {facts.closed} closed"
                f" + {open_qty} resting"
            )
            # live exactly when resting, with the open quantity the reports imply
            assert s.status.terminal == (oid not in resting), f"order {oid} is {s.status.name}"
            assert s.leaves == open_qty
            if lookup is not None:
                found = lookup(oid)
                assert (found.qty if found is not None else 0) == open_qty, f"order({oid})"


# --- one run -------------------------------------------------------------------------------


def _engine_outcomes(events: list[Event]) -> list[Outcome]:
    """The engine's events in the reference model's vocabulary (fills are the Ledger's)."""
    out: list[Outcome] = []
    for e in events:
        if isinstance(e, OrderAccepted):
            out.append(("accepted", e.order_id))
        elif isinstance(e, OrderRejected):
            out.append(("rejected", e.order_id, e.reason))
        elif isinstance(e, Trade):
            out.append(("trade", e.maker_order_id, e.taker_order_id, e.price, e.qty))
        elif isinstance(e, OrderCancelled):
            out.append(("cancelled", e.order_id, e.cancelled_qty, e.reason))
        elif isinstance(e, OrderExpired):
            out.append(("expired", e.order_id, e.expired_qty))
        elif isinstance(e, OrderModified):
            out.append(("modified", e.order_id, e.price, e.qty, e.priority_kept))
        elif isinstance(e, RequestRejected):
            out.append(("request_rejected", e.order_id, e.reason))
    return out


_PLAIN = frozenset({"accepted", "trade", "modified", "expired"})


class Run:
    def __init__(self, engine_cls: Any, stp: SelfTradePrevention) -> None:
        self.engine = engine_cls(VENUE, [ES], stp)
        self.book = self.engine.book(ES)
        self.ref = ReferenceBook(ES, stp)
        self.ledger = Ledger()
        self.next_id = 1
        self.t = 0
        self.seen: set[str] = set()  # outcome kinds, e.g. "cancelled:self_trade"

    def _live(self, pick: int) -> Any:
        live = sorted(self.ref.resting, key=lambda o: o.order_id)
        return live[pick % len(live)] if live else None

    def _dead_id(self, pick: int) -> int:
        dead = [oid for oid in range(1, self.next_id) if self.ref.find(oid) is None]
        if dead and pick % 3:
            return dead[pick % len(dead)]
        return DEAD_ID_BASE + pick

    def _new(self, side: int, order_type: int, tif: int, price: int, qty: int, owner: int,
             order_id: int | None = None, instrument: str = ES) -> NewOrder:
        if order_id is None:
            order_id = self.next_id
            self.next_id += 1
        return NewOrder(self.t, VENUE, instrument, order_id, f"c{order_id}", owner, side,
                        order_type, tif, price, qty)

    def request_for(self, op: Op) -> Any:
        kind = op[0]
        if kind in ("limit", "market"):
            _, side, tif, price, qty, owner = op
            order_type = OrderType.LIMIT if kind == "limit" else OrderType.MARKET
            return self._new(side, int(order_type), tif, price, qty, owner)
        if kind == "bad_add":
            _, fault, pick = op
            args: dict[str, Any] = {
                "side": 1, "order_type": int(OrderType.LIMIT), "tif": int(TimeInForce.GTC),
                "price": MID, "qty": 1, "owner": pick % OWNERS,
            }
            if fault == "duplicate":
                target = self._live(pick)
                if target is None:
                    return None
                args["order_id"] = target.order_id
            elif fault == "instrument":
                args["instrument"] = "NOPE"
            elif fault == "side":
                args["side"] = 0
            else:
                args["qty" if fault.endswith("qty") else "price"] = 0 if "zero" in fault else -1
            return self._new(**args)
        if kind == "cancel":
            _, pick, wrong_owner = op
            target = self._live(pick)
            if target is None:
                return None
            owner = (target.owner + 1) % OWNERS if wrong_owner else target.owner
            return CancelOrder(self.t, VENUE, ES, target.order_id, owner)
        if kind == "cancel_dead":
            return CancelOrder(self.t, VENUE, ES, self._dead_id(op[1]), op[1] % OWNERS)
        if kind == "modify":
            _, pick, price_move, qty_change, wrong_owner = op
            target = self._live(pick)
            if target is None:
                return None
            owner = (target.owner + 1) % OWNERS if wrong_owner else target.owner
            qty = max(1, target.qty + qty_change)
            return ModifyOrder(self.t, VENUE, ES, target.order_id, owner,
                               target.price + price_move, qty)
        if kind == "modify_bad":
            _, pick, fault = op
            target = self._live(pick)
            if target is None:
                return None
            price, qty, owner = target.price, target.qty, target.owner
            if fault == "qty":
                qty = 0
            elif fault == "price":
                price = 0
            else:
                owner = (owner + 1) % OWNERS
            return ModifyOrder(self.t, VENUE, ES, target.order_id, owner, price, qty)
        if kind == "modify_dead":
            return ModifyOrder(self.t, VENUE, ES, self._dead_id(op[1]), op[1] % OWNERS, MID, 1)
        return op  # a session op

    def expected(self, request: Any) -> list[Outcome]:
        ref = self.ref
        if isinstance(request, NewOrder):
            r = request
            return ref.new_order(r.order_id, r.owner, r.side, r.order_type, r.tif, r.price, r.qty,
                                 r.instrument)
        if isinstance(request, CancelOrder):
            return ref.cancel(request.order_id, request.owner, request.instrument)
        if isinstance(request, ModifyOrder):
            return ref.modify(request.order_id, request.owner, request.price, request.qty)
        kind, owner = request
        return ref.expire_day_orders() if kind == "expire_day" else ref.cancel_all(owner)

    def actual(self, request: Any) -> list[Event]:
        if isinstance(request, tuple):
            kind, owner = request
            if kind == "expire_day":
                return list(self.engine.expire_day_orders(self.t))
            return list(self.engine.cancel_all(self.t, owner))
        return list(self.engine.handle(request))

    def resting_now(self) -> dict[int, tuple[int, int, int]]:
        return {
            o.order_id: (side, price, o.qty)
            for side in (1, -1)
            for price, orders in self.book.l3(side)
            for o in orders
        }

    def apply(self, request: Any) -> None:
        self.t += 1_000
        before = self.resting_now()
        want = self.expected(request)
        events = self.actual(request)
        got = _engine_outcomes(events)
        if isinstance(request, tuple):  # bulk cancels: the order among orders is not specified
            got, want = sorted(got), sorted(want)
        assert got == want, f"request {request!r}"
        for outcome in got:
            kind = outcome[0] if outcome[0] in _PLAIN else f"{outcome[0]}:{outcome[-1]}"
            self.seen.add(kind)
        self.ledger.apply(request, events, before)
        self.ledger.check_book(self.book)
        for side in (1, -1):
            engine_l3 = [(p, [(o.order_id, o.qty) for o in orders]) for p, orders in self.book.l3(side)]
            assert engine_l3 == self.ref.l3(side), f"books differ after {request!r}"


def run_stream(engine_cls: Any, stp: SelfTradePrevention, ops: list[Op]) -> Run:
    run = Run(engine_cls, stp)
    for op in ops:
        request = run.request_for(op)
        if request is not None:
            run.apply(request)
    # the end of the day, then a cancel-all: nothing may stay alive
    run.apply(("expire_day", None))
    run.apply(("cancel_all", None))
    assert run.book.l2() == ([], [])
    assert all(f.state.status.terminal for f in run.ledger.orders.values())
    return run


STP_MODES = list(SelfTradePrevention)


@pytest.mark.parametrize("stp", STP_MODES, ids=lambda m: m.name)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(OPS, min_size=10, max_size=80))
def test_engine_matches_reference(engine_cls: Any, stp: SelfTradePrevention, ops: list[Op]) -> None:
    run = run_stream(engine_cls, stp, ops)
    for kind in sorted(run.seen):
        event(kind)  # what the examples reached: see --hypothesis-show-statistics


@pytest.mark.slow
@pytest.mark.parametrize("stp", STP_MODES, ids=lambda m: m.name)
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(OPS, min_size=20, max_size=150))
def test_engine_matches_reference_long(
    engine_cls: Any, stp: SelfTradePrevention, ops: list[Op]
) -> None:
    run_stream(engine_cls, stp, ops)


def _random_op(rng: random.Random) -> Op:
    """An op of the same vocabulary and weights as OPS, from a seeded RNG."""
    kind = rng.choices(list(_WEIGHTED), weights=[w for w, _ in _WEIGHTED.values()])[0]
    pick = rng.randrange(1_000)
    if kind in ("limit", "market"):
        price = rng.randint(MID - 3, MID + 3) if kind == "limit" else rng.randint(0, 200)
        return (kind, rng.choice([1, -1]), rng.choice([int(t) for t in TimeInForce]), price,
                rng.randint(1, 6), rng.randrange(OWNERS))
    if kind == "bad_add":
        faults = ["zero_qty", "neg_qty", "zero_price", "neg_price", "instrument", "side",
                  "duplicate"]
        return (kind, rng.choice(faults), pick)
    if kind == "cancel":
        return (kind, pick, rng.random() < 0.2)
    if kind == "modify":
        return (kind, pick, rng.randint(-3, 3), rng.randint(-2, 3), rng.random() < 0.2)
    if kind == "modify_bad":
        return (kind, pick, rng.choice(["qty", "price", "owner"]))
    if kind == "session":
        return (rng.choice(["expire_day", "cancel_all"]), rng.choice([None, *range(OWNERS)]))
    return (kind, pick)


@pytest.mark.parametrize("stp", STP_MODES, ids=lambda m: m.name)
def test_the_request_vocabulary_reaches_every_rule(engine_cls: Any, stp: SelfTradePrevention) -> None:
    """The comparison is only worth something if the requests reach the rules: a fixed busy
    stream, checked like the random ones, must produce every kind of outcome."""
    rng = random.Random(20100506 + int(stp))
    run = run_stream(engine_cls, stp, [_random_op(rng) for _ in range(1_000)])
    expected = {
        "accepted", "trade", "modified", "expired", "cancelled:user", "cancelled:ioc_remainder",
        "cancelled:fok_unfillable", "cancelled:no_liquidity", "cancelled:cancel_all",
        "rejected:duplicate_order_id", "rejected:invalid_qty", "rejected:invalid_price",
        "rejected:unknown_instrument", "rejected:invalid_side", "request_rejected:unknown_order",
        "request_rejected:not_owner", "request_rejected:invalid_qty",
        "request_rejected:invalid_price",
    }
    if stp is not SelfTradePrevention.NONE:
        expected.add("cancelled:self_trade")
    assert expected <= run.seen
