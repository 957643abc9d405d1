from typing import Any

import pytest

from flashguard.core.events import Event, Quote, Trade, VenueStatus
from flashguard.core.loop import EventLoop
from flashguard.market.sip import PySip, Sip


def test_nbbo_across_venues_sums_size_at_best_and_drops_halted_venue() -> None:
    loop = EventLoop()
    sip = Sip(loop, latency_ns=1_000)
    out: list[tuple[int, Event]] = []
    sip.subscribe(lambda ev: out.append((loop.now_ns(), ev)))
    sip.on_event(Quote(0, "A", "ES", 99, 5, 101, 7))
    sip.on_event(Quote(0, "B", "ES", 99, 3, 102, 1))
    sip.on_event(Quote(0, "C", "ES", 98, 9, 100, 2))
    assert sip.nbbo("ES") == (99, 8, 100, 2)
    sip.on_event(VenueStatus(0, "C", "ES", "halted", "test"))
    assert sip.nbbo("ES") == (99, 8, 101, 7)
    loop.run()
    assert all(t == 1_000 for t, _ in out)
    last = out[-1][1]
    assert isinstance(last, Quote) and last.venue == "ALL" and (last.ask, last.ask_qty) == (101, 7)


@pytest.mark.parametrize("cls", [Sip, PySip] if Sip is not PySip else [PySip])
def test_publishes_only_changes_relays_trades_and_readmits_a_reopened_venue(cls: Any) -> None:
    loop = EventLoop()
    sip = cls(loop, latency_ns=10)
    out: list[tuple[int, Event]] = []
    sip.subscribe(lambda ev: out.append((loop.now_ns(), ev)))
    sip.on_event(Quote(0, "A", "ES", 99, 5, 0, 0))  # one-sided: the ask stays empty
    sip.on_event(Quote(0, "A", "ES", 99, 5, 0, 0))  # the same NBBO: nothing published
    sip.on_event(VenueStatus(0, "A", "ES", "limit_state", "luld"))  # still trading
    trade = Trade(0, "A", "ES", 1, 99, 2, 1, 3, 4)
    sip.on_event(trade)
    sip.on_event(VenueStatus(0, "A", "ES", "paused", "luld"))
    sip.on_event(VenueStatus(0, "A", "ES", "open", "reopened"))
    loop.run()
    assert [ev for _, ev in out] == [
        Quote(0, "ALL", "ES", 99, 5, 0, 0),
        trade,
        Quote(0, "ALL", "ES", 0, 0, 0, 0),
        Quote(0, "ALL", "ES", 99, 5, 0, 0),
    ]
    assert {t for t, _ in out} == {10}
    assert sip.last_trade == {"ES": 99}
    assert sip.nbbo("NQ") == (0, 0, 0, 0)
