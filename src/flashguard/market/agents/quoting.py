"""The order slots a quoting agent keeps on each venue: one resting order per (venue, side,
level), moved with a modify when its price should change, replaced when it is gone.

Execution reports keep the slots true: a fill updates inventory and frees a slot whose order
is done; a cancel or a rejected modify frees the slot. A slot that exists always shows a
positive price and quantity, so `place` sends nothing when the slot already shows (price, qty),
or when there is no slot and nothing to show. `version` counts changes to the slots: a caller
that finds it unchanged knows the slots show what it last asked for.

`PySlots` is the reference; `Slots` is its C twin (`_cengine.Slots`: same state in the same
dicts, same requests) unless FLASHGUARD_PURE=1 or the extension is not built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flashguard.core.events import (
    Event,
    OrderCancelled,
    OrderFilled,
    OrderRejected,
    RequestRejected,
)
from flashguard.core.native import c_twin
from flashguard.market.agents.base import World

_DAY = 1


class PySlots:
    __slots__ = ("by_id", "inventory", "owner", "slots", "traded", "version", "world")

    def __init__(self, world: World, owner: int) -> None:
        self.world = world
        self.owner = owner
        self.slots: dict[tuple[int, int, int], tuple[int, int, int]] = {}  # key -> (id, price, qty)
        self.by_id: dict[int, tuple[int, int, int]] = {}
        self.inventory = 0
        self.traded = 0
        self.version = 0  # counts changes to `slots`: same version, same slots

    def on_report(self, ev: Event) -> None:
        kind = type(ev)
        if kind is OrderFilled:
            assert isinstance(ev, OrderFilled)
            self.inventory += ev.side * ev.qty
            self.traded += ev.qty
            if ev.leaves_qty == 0:
                self._free(ev.order_id)
            else:
                key = self.by_id.get(ev.order_id)
                if key is not None and key in self.slots:
                    oid, price, _ = self.slots[key]
                    self.slots[key] = (oid, price, ev.leaves_qty)
                    self.version += 1
        elif kind is OrderCancelled or kind is OrderRejected or kind is RequestRejected:
            self._free(ev.order_id)  # type: ignore[attr-defined]

    def _free(self, order_id: int) -> None:
        key = self.by_id.pop(order_id, None)
        if key is not None and self.slots.get(key, (0,))[0] == order_id:
            del self.slots[key]
            self.version += 1

    def place(self, vi: int, side: int, level: int, price: int, qty: int) -> None:
        """Make the slot show `qty` at `price` (qty 0: pull it)."""
        key = (vi, side, level)
        current = self.slots.get(key)
        # most calls ask for what the slot already shows (or pull an empty one): nothing to send
        if qty <= 0 or price <= 0:
            if current is not None:
                self.world.lit[vi].cancel(self.owner, self.world.instrument, current[0])
                del self.slots[key]
                self.by_id.pop(current[0], None)
                self.version += 1
            return
        if current is None:
            oid = self.world.lit[vi].submit(self.owner, self.world.instrument, side, qty, price, 1, _DAY)
            self.slots[key] = (oid, price, qty)
            self.by_id[oid] = key
            self.version += 1
        elif current[1] != price or current[2] != qty:
            self.world.lit[vi].modify(self.owner, self.world.instrument, current[0], price, qty)
            self.slots[key] = (current[0], price, qty)
            self.version += 1

    def pull_all(self) -> None:
        for key in list(self.slots):
            self.place(key[0], key[1], key[2], 0, 0)

    def live(self) -> int:
        return len(self.slots)


_c = c_twin("flashguard.market._cengine")
if TYPE_CHECKING:
    Slots = PySlots
else:
    Slots = _c.Slots if _c is not None else PySlots
