"""A random order flow run through the matching engine, recorded as LOBSTER messages and books.

Each step is one engine request that changes at most one level, so that every message has
its own book row, as in LOBSTER: passive adds, partial cancels (a size-down modify), deletes,
and executions sized to fill part or all of the first order of a best level only. Hidden
executions, cross trades and halts are written as messages that leave the book alone.
"""

from __future__ import annotations

import random

from flashguard.core.clock import NS_PER_SECOND
from flashguard.core.events import (
    CancelOrder,
    ModifyOrder,
    NewOrder,
    OrderCancelled,
    OrderFilled,
)
from flashguard.core.orders import OrderType, SelfTradePrevention, TimeInForce
from flashguard.market.data.lobster import Message
from flashguard.market.data.lobster_write import Level, book_levels
from flashguard.market.matching import MatchingEngine

SYMBOL = "SYN"
UNITS_PER_TICK = 100  # LOBSTER prices are dollars x 10000; ticks are cents


def random_flow(
    seed: int, steps: int, depth: int
) -> tuple[list[Message], list[tuple[list[Level], list[Level]]]]:
    """(messages, book rows at `depth` levels) of a seeded random flow of `steps` messages."""
    rng = random.Random(seed)
    engine = MatchingEngine("X", [SYMBOL], stp=SelfTradePrevention.NONE)
    book = engine.book(SYMBOL)
    messages: list[Message] = []
    rows: list[tuple[list[Level], list[Level]]] = []
    t = 34_200 * NS_PER_SECOND
    next_id = 1
    mid = 10_000  # ticks: $100.00
    halted = False
    live: dict[int, list[int]] = {}  # order id -> [side, price, qty, owner], from the engine

    def record(kind: int, order_id: int, size: int, price: int, direction: int) -> None:
        messages.append(Message(t, kind, order_id, size, price, direction))
        rows.append(book_levels(book, depth, UNITS_PER_TICK))

    while len(messages) < steps:
        t += rng.randint(1, 3_000_000)
        roll = rng.random()
        if roll < 0.02:
            halted = not halted
            record(7, 0, 0, -1 if halted else 1, -1)
        elif roll < 0.04:
            record(rng.choice((5, 6)), 0, rng.randint(1, 300), mid * UNITS_PER_TICK, rng.choice((1, -1)))
        elif rng.random() < _add_share(len(messages)) or not live:
            side = rng.choice((1, -1))
            best_bid, best_ask = book.best_bid(), book.best_ask()
            if side == 1:
                touch = best_bid if best_bid is not None else (best_ask or mid + 1) - 1
                price = touch + rng.randint(-14, 2)
                if best_ask is not None:
                    price = min(price, best_ask - 1)
            else:
                touch = best_ask if best_ask is not None else (best_bid or mid - 1) + 1
                price = touch - rng.randint(-14, 2)
                if best_bid is not None:
                    price = max(price, best_bid + 1)
            price = max(price, 1)
            size = rng.choice((rng.randint(1, 9) * 100, rng.randint(1, 500)))
            order_id = next_id
            next_id += 1
            owner = 1 + order_id % 7
            events = engine.submit(
                NewOrder(
                    t, "X", SYMBOL, order_id, str(order_id), owner, side, OrderType.LIMIT,
                    TimeInForce.DAY, price, size,
                )
            )
            assert not any(isinstance(e, OrderFilled) for e in events), "an add must rest"
            live[order_id] = [side, price, size, owner]
            record(1, order_id, size, price * UNITS_PER_TICK, side)
        elif roll < 0.3:
            order_id = rng.choice(sorted(live))
            side, price, qty, owner = live[order_id]
            if qty < 2:
                continue
            cut = rng.randint(1, qty - 1)
            engine.modify(ModifyOrder(t, "X", SYMBOL, order_id, owner, price, qty - cut))
            live[order_id][2] -= cut
            record(2, order_id, cut, price * UNITS_PER_TICK, side)
        elif roll < 0.65:
            order_id = rng.choice(sorted(live))
            side, price, qty, owner = live.pop(order_id)
            (cancelled,) = engine.cancel(CancelOrder(t, "X", SYMBOL, order_id, owner))
            assert isinstance(cancelled, OrderCancelled) and cancelled.cancelled_qty == qty
            record(3, order_id, qty, price * UNITS_PER_TICK, side)
        else:
            side = rng.choice((1, -1))
            levels = book.l3(side, 1)
            if not levels:
                continue
            price, queue = levels[0]
            maker = queue[0]
            assert live[maker.order_id][2] == maker.qty
            fill = rng.choice((maker.qty, rng.randint(1, maker.qty)))
            events = engine.submit(
                NewOrder(
                    t, "X", SYMBOL, next_id, "taker", 0, -side, OrderType.LIMIT, TimeInForce.IOC,
                    price, fill,
                )
            )
            next_id += 1
            fills = [e for e in events if isinstance(e, OrderFilled) and e.maker]
            assert len(fills) == 1 and fills[0].order_id == maker.order_id, fills
            live[maker.order_id][2] -= fill
            if not live[maker.order_id][2]:
                del live[maker.order_id]
            record(4, maker.order_id, fill, price * UNITS_PER_TICK, side)
    return messages, rows


def _add_share(step: int) -> float:
    """Build the book up, then drain it, in turns: sides full and sides thin both occur."""
    return 0.6 if (step // 400) % 2 == 0 else 0.1
