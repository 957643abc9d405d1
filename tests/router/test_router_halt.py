"""Halts mid-execution: nothing goes to a halted venue; the remainder is queued and
re-evaluated after the reopen, against fresh quotes, not fired blindly at the reopen."""

from __future__ import annotations

from sor_rig import MS, SEC, SYMBOL, Market

from flashguard.core.events import Quote
from flashguard.core.orders import Side
from flashguard.market.venue import VenueBase, VenueConfig
from flashguard.system.router import RouterConfig


def two_venues(**router: int) -> Market:
    return Market([VenueConfig("A"), VenueConfig("B")],
                  router=RouterConfig(**router) if router else None)


def test_all_venues_halted_queues_the_remainder_until_a_fresh_quote_after_the_reopen() -> None:
    m = two_venues()
    for v in "AB":
        m.rest(v, Side.BUY, 10, 9_990)
        m.rest(v, Side.SELL, 50, 10_000)
    m.settle()
    pid = m.buy(150, urgency="aggressive", limit=10_010)
    m.settle()
    assert m.filled() == 100  # all that was displayed
    t_halt = m.now
    for v in m.venues.values():
        v.set_status(SYMBOL, "halted", "luld pause")
    m.settle()
    assert m.system.router.parents[pid].state == "queued"
    queue = m.decisions("queue")
    assert queue and queue[-1].qty == 50
    n_before = len(m.submitted())
    # during the halt the landscape changes; nothing may be sent
    m.settle(5 * SEC)
    assert len(m.submitted()) == n_before
    t_open = m.now
    m.venues["A"].set_status(SYMBOL, "open", "reopened")
    m.settle(10 * MS)
    assert len(m.submitted()) == n_before  # reopened, but no fresh quote yet: wait
    m.rest("A", Side.SELL, 80, 10_005)  # the post-reopen price
    m.settle()
    after = m.submitted()[n_before:]
    assert after and {s.venue for s in after} == {"A"}  # B is still halted
    assert all(s.price == 10_005 and s.t_ns > t_open + 10 * MS for s in after)
    release = m.decisions("release")
    assert release and release[0].t_ns > t_open and release[0].qty == 50
    assert m.filled() == 150
    assert all(s.t_ns < t_halt or s.venue == "A" for s in m.submitted())


def test_without_a_fresh_quote_the_parent_is_released_after_the_grace_period() -> None:
    m = two_venues(reopen_grace_ns=500 * MS)
    for v in "AB":
        m.rest(v, Side.BUY, 10, 9_990)
    m.rest("A", Side.SELL, 10, 10_000)
    m.settle()
    for v in m.venues.values():
        v.set_status(SYMBOL, "halted", "news")
    m.settle()
    m.buy(5, urgency="aggressive")
    m.settle()
    assert not m.submitted() and m.decisions("queue")
    t_open = m.now
    for v in m.venues.values():
        # a venue whose feed sends the status change alone (ours re-publish the top of book
        # on every reopen; a remote venue's feed may not)
        VenueBase.set_status(v, SYMBOL, "open", "reopened")
    # the consolidated feed gives risk a reference again; no venue publishes a new quote
    m.system.on_market_data(Quote(t_open, "ALL", SYMBOL, 9_990, 20, 10_000, 10))
    m.settle(400 * MS)
    assert not m.submitted()
    m.settle(200 * MS)
    sent = m.submitted()
    assert sent and all(s.t_ns >= t_open + 500 * MS for s in sent)
    assert m.filled() == 5


def test_one_halted_venue_is_routed_around_not_waited_for() -> None:
    m = two_venues(crash_max_child=10)
    for v in "AB":
        m.rest(v, Side.BUY, 10, 9_990)
        m.rest(v, Side.SELL, 50, 10_000)
    m.settle()
    m.venues["B"].set_status(SYMBOL, "halted", "technical")
    m.settle()
    m.buy(40, urgency="aggressive")
    m.settle(200 * MS)
    assert {s.venue for s in m.submitted()} == {"A"}
    assert m.filled() == 40


def test_a_halt_moves_the_strategy_to_preservation_and_the_release_probes_again() -> None:
    m = two_venues(crash_max_child=10)
    for v in "AB":
        m.rest(v, Side.BUY, 10, 9_990)
        m.rest(v, Side.SELL, 100, 10_000)
    m.settle()
    for v in m.venues.values():
        v.set_status(SYMBOL, "paused", "luld")
    m.settle()
    assert m.hands.regimes and m.hands.regimes[0][0] == "preservation"
    pid = m.buy(60, urgency="aggressive")
    m.settle()
    assert not m.submitted()
    assert m.system.router.parents[pid].state == "queued"
    m.venues["B"].set_status(SYMBOL, "open", "reopened")
    m.rest("B", Side.SELL, 5, 10_000)  # B's fresh post-reopen quote (more size)
    m.settle(200 * MS)
    first = m.submitted()[0]
    probes = m.decisions("probe")
    assert probes and probes[0].t_ns == first.t_ns  # probed against the new landscape
    assert {s.venue for s in m.submitted()} == {"B"}  # A is still paused
    assert m.filled() == 60
