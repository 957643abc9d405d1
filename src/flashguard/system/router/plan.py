"""Routing plans: pure functions from what the venues show to the child orders to send.

Costs are compared net of fees, per lot, in fee units (1/100 tick): a buy costs
price * 100 + fee, a sell earns price * 100 - fee; `net_cost` folds both into one number where
lower is better. No plan ever prices a child outside the parent's limit or the LULD band.

- `take`: normal-mode liquidity taking: the best net prices first, as much as each venue
  displays, children of at most max_child.
- `crash_take`: one small child per venue per round (fragmentation), only to venues whose
  reliability score clears min_score (even when an unreliable one shows a better price),
  plus a slice to each dark pool at the mid; returns the venues it skipped on score.
- `probes`: one small IOC to each venue that shows liquidity, and to each dark pool.
- `post`: passive children at one price, split across venues by their displayed size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

# (venue, price, qty): may such a child be sent now? (no: it would repeat another parent's)
Fresh = Callable[[str, int, int], bool]
Band = tuple[int, int] | None


class Offer(NamedTuple):
    """What one venue offers an order of a given side: a price, the lots displayed there and
    not yet taken by us (0 for a dark pool), and the fee per lot in fee units."""

    venue: str
    price: int
    avail: int
    fee: int


class ChildPlan(NamedTuple):
    venue: str
    price: int
    qty: int
    ioc: bool
    probe: bool = False


def inside(side: int, price: int, limit: int, band: Band) -> bool:
    """A price within the parent's limit (0: none) and the band (None: none known)."""
    if price <= 0:
        return False
    if limit and (price > limit if side > 0 else price < limit):
        return False
    return band is None or band[0] <= price <= band[1]


def net_cost(side: int, price: int, fee: int) -> int:
    return side * price * 100 + fee


def _ranked(side: int, offers: list[Offer], limit: int, band: Band) -> list[Offer]:
    usable = [o for o in offers if o.avail > 0 and inside(side, o.price, limit, band)]
    usable.sort(key=lambda o: (side * o.price * 100 + o.fee, -o.avail, o.venue))
    return usable


def _split(
    out: list[ChildPlan], venue: str, price: int, qty: int, max_child: int, fresh: Fresh,
    ioc: bool, probe: bool = False, one: bool = False,
) -> int:
    """Append children for qty lots at one venue and price (only one child if `one`);
    returns the lots placed. Children of one parent may be equal; a child that would repeat
    another parent's within the duplicate window is shaved a lot at a time."""
    placed = 0
    while placed < qty:
        q = min(qty - placed, max_child)
        while q > 0 and not fresh(venue, price, q):
            q -= 1
        if q == 0:
            break
        out.append(ChildPlan(venue, price, q, ioc, probe))
        placed += q
        if one:
            break
    return placed


def take(
    side: int, qty: int, offers: list[Offer], limit: int, band: Band, max_child: int,
    fresh: Fresh,
) -> list[ChildPlan]:
    out: list[ChildPlan] = []
    left = qty
    for o in _ranked(side, offers, limit, band):
        if left <= 0:
            break
        left -= _split(out, o.venue, o.price, min(left, o.avail), max_child, fresh, True)
    return out


def crash_take(
    side: int, qty: int, offers: list[Offer], dark: list[Offer], limit: int, band: Band,
    max_child: int, fresh: Fresh, score: Callable[[str], float], min_score: float,
    dark_fraction: float,
) -> tuple[list[ChildPlan], list[Offer]]:
    out: list[ChildPlan] = []
    left = qty
    if dark_fraction > 0:
        share = min(max_child, max(1, int(qty * dark_fraction)))
        for d in dark:
            if left <= 0:
                break
            if score(d.venue) >= min_score and inside(side, d.price, limit, band):
                left -= _split(out, d.venue, d.price, min(share, left), share, fresh, True,
                               one=True)
    skipped: list[Offer] = []
    for o in _ranked(side, offers, limit, band):
        if score(o.venue) < min_score:
            skipped.append(o)
            continue
        if left <= 0:
            break
        # one child per venue per round: no venue sees the full size
        left -= _split(out, o.venue, o.price, min(left, o.avail), max_child, fresh, True,
                       one=True)
    return out, skipped


def probes(
    side: int, budget: int, offers: list[Offer], dark: list[Offer], limit: int, band: Band,
    probe_qty: int, fresh: Fresh,
) -> list[ChildPlan]:
    out: list[ChildPlan] = []
    left = budget
    targets = _ranked(side, offers, limit, band) + [
        d for d in dark if inside(side, d.price, limit, band)
    ]
    for o in targets:
        if left <= 0:
            break
        size = min(probe_qty, left, o.avail) if o.avail else min(probe_qty, left)
        left -= _split(out, o.venue, o.price, size, size, fresh, True, probe=True, one=True)
    return out


def post(
    side: int, qty: int, price: int, venues: list[tuple[str, int, int]], max_child: int,
    fresh: Fresh,
) -> list[ChildPlan]:
    """venues: (venue, lots displayed on the side we join, maker fee per lot). Each venue gets
    a share of qty in proportion to its displayed size (all to the cheapest venue if nothing
    is displayed); the rounding remainder goes to the cheapest venues first."""
    if not venues or qty <= 0:
        return []
    order = sorted(venues, key=lambda v: (v[2], -v[1], v[0]))
    total = sum(v[1] for v in order)
    if total <= 0:
        alloc = [qty] + [0] * (len(order) - 1)
    else:
        alloc = [qty * v[1] // total for v in order]
        for i in range(qty - sum(alloc)):
            alloc[i % len(order)] += 1
    out: list[ChildPlan] = []
    for (venue, _, _), n in zip(order, alloc, strict=True):
        if n > 0:
            _split(out, venue, price, n, max_child, fresh, False)
    return out
