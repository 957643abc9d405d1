from flashguard.core.events import Event, Quote, VenueStatus
from flashguard.core.loop import EventLoop
from flashguard.market.sip import Sip


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
