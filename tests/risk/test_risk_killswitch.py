"""Layer 4: the kill switch cancels everything everywhere, blocks everything after, survives a
restart, and lets go only on an authorised reset after the cool-down."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from risk_rig import ROOMY, SEC, Rig, matrix

from flashguard.core.events import KillSwitch, OrderAccepted, Quote, VenueStatus, decode, encode
from flashguard.system.risk import KillSwitchError
from flashguard.system.risk.types import RiskOrder, StrategyMode

VENUES = ("XNAS", "ARCX", "BATS")


def make(tmp_path: Path | None = None, venue: dict[str, int] | None = None,
         **kill_switch: object) -> Rig:
    m = matrix(strategy_defaults=ROOMY, kill_switch=kill_switch,
               venue_defaults=venue or {})
    rig = Rig(m, kill_state_path=tmp_path / "kill.json" if tmp_path else None)
    rig.at(SEC).market("ABC", 9_999, 10_001)
    return rig


def working_everywhere(rig: Rig, per_venue: int = 3) -> list[RiskOrder]:
    orders = []
    for venue in VENUES:
        for i in range(per_venue):
            orders.append(rig.send(rig.order(price=9_990 - i, venue=venue,
                                             strategy=f"s{i % 2}")))
    return orders


def test_kill_cancels_every_order_on_every_venue_and_blocks_new_ones() -> None:
    rig = make()
    orders = working_everywhere(rig)
    in_flight = rig.send(rig.order(price=9_980, order_id=0), ack=False)  # no venue id yet
    rig.at(2 * SEC)
    rig.gate.kill("ops-desk", "fat-finger storm")
    assert sorted((c.venue, c.order_id) for c in rig.cancels) == sorted(
        (o.venue, o.order_id) for o in orders
    )
    assert all(c.t_ns == 2 * SEC for c in rig.cancels)
    [kill] = [e for e in rig.events if isinstance(e, KillSwitch)]
    assert (kill.engaged, kill.by) == (True, "ops-desk") and "fat-finger storm" in kill.reason
    [action] = rig.actions("kill")
    assert (action.layer, action.rule) == ("L4", "manual")
    r = rig.gate.check(rig.order(price=9_990))
    assert r is not None and (r.layer, r.rule) == ("L4", "kill_switch")
    # the in-flight order is cancelled as soon as the venue names it
    rig.feed(OrderAccepted(2 * SEC, "XNAS", "ABC", 555, in_flight.client_order_id, 7, 1, 1, 1,
                           9_980, 1))
    assert rig.cancels[-1].order_id == 555


def test_kill_gets_through_a_saturated_throttle() -> None:
    rig = make(venue={"max_msgs_per_s": 1, "burst": 4, "cancel_msgs_per_s": 1,
                      "cancel_burst": 1})
    t = rig.clock.now_ns()
    orders = [rig.send(rig.order(price=9_990 - i, venue=v, t=t))
              for v in VENUES for i in range(4)]
    assert rig.gate.check(rig.order(price=9_900, t=t)) is not None  # order budget spent
    for _ in range(3):
        rig.gate.check_cancel("s1", "XNAS", t)  # cancel budget spent too
    rig.gate.kill("ops-desk", "runaway algo")
    assert len(rig.cancels) == len(orders) == 12
    assert {c.venue for c in rig.cancels} == set(VENUES)


def test_kill_during_a_venue_halt_drops_what_was_queued_for_the_reopen() -> None:
    rig = make(cooldown_after_reopen_s=600)
    orders = working_everywhere(rig, per_venue=1)
    rig.feed(VenueStatus(2 * SEC, "ARCX", "", "halted", "LULD pause"))
    # what a router queued for ARCX while it was halted, to send at the reopen
    queued = [rig.order(price=9_950 + i, venue="ARCX", t=3 * SEC) for i in range(3)]
    rig.at(4 * SEC)
    rig.gate.kill("ops-desk", "venue in trouble")
    assert {c.venue for c in rig.cancels} == set(VENUES)  # the halted venue's orders too
    assert len(rig.cancels) == len(orders)
    rig.feed(VenueStatus(5 * SEC, "ARCX", "", "open", "reopened"))
    sent = [o for o in queued if rig.gate.check(o) is None]
    assert sent == []


def test_state_survives_a_restart_until_an_authorised_reset(tmp_path: Path) -> None:
    rig = make(tmp_path)
    rig.gate.kill("ops-desk", "end of the world")
    state_file = tmp_path / "kill.json"
    saved = json.loads(state_file.read_text())
    assert saved["engaged"] is True and saved["by"] == "ops-desk"
    assert not list(tmp_path.glob("*.tmp"))  # written by replace, nothing half-done left

    restarted = make(tmp_path)  # a new process on the same state file
    assert restarted.gate.kill_engaged
    r = restarted.gate.check(restarted.order())
    assert r is not None and r.rule == "kill_switch"
    with pytest.raises(KillSwitchError, match="'trader' is not authorised"):
        restarted.gate.reset("trader", "I am sure")
    with pytest.raises(KillSwitchError, match="must say why"):
        restarted.gate.reset("risk-officer", "")
    assert restarted.gate.reset("risk-officer", "post-mortem done") is True
    assert restarted.gate.check(restarted.order()) is None
    [off] = [e for e in restarted.events if isinstance(e, KillSwitch)]
    assert (off.engaged, off.by) == (False, "risk-officer")

    again = make(tmp_path)
    assert not again.gate.kill_engaged


def test_an_unreadable_state_file_is_not_read_as_disengaged(tmp_path: Path) -> None:
    (tmp_path / "kill.json").write_text("{not json")
    with pytest.raises(KillSwitchError, match="unreadable"):
        make(tmp_path)


def test_reset_waits_for_the_cooldown_after_a_reopen(tmp_path: Path) -> None:
    rig = make(tmp_path, cooldown_after_reopen_s=600)
    rig.gate.kill("ops-desk", "halt")
    rig.feed(VenueStatus(2 * SEC, "XNAS", "ABC", "halted", "LULD"))
    rig.at(3 * SEC)
    assert rig.gate.reset("risk-officer", "ok") is False  # still halted: pending
    assert rig.actions("reset_pending")
    rig.feed(VenueStatus(10 * SEC, "XNAS", "ABC", "auction", "reopening"))
    rig.feed(VenueStatus(20 * SEC, "XNAS", "ABC", "open", "reopened"))
    assert rig.gate.kill_engaged
    # a restart in the cool-down keeps the pending reset and the cool-down
    rig = make(tmp_path, cooldown_after_reopen_s=600)
    assert rig.gate.kill_engaged
    end = 20 * SEC + 600 * SEC
    r = rig.gate.check(rig.order(t=end - 1))
    assert r is not None and r.rule == "kill_switch"
    rig.feed(Quote(end, "ALL", "ABC", 9_999, 10, 10_001, 10))  # the first event at the end
    assert not rig.gate.kill_engaged
    assert rig.actions("reset")[0].t_ns == end
    assert rig.gate.check(rig.order(t=end)) is None


def test_reset_without_a_halt_is_immediate_and_needs_an_engaged_switch() -> None:
    rig = make(cooldown_after_reopen_s=600)
    with pytest.raises(KillSwitchError, match="not engaged"):
        rig.gate.reset("risk-officer", "nothing to do")
    rig.gate.kill("ops-desk", "test")
    assert rig.gate.reset("risk-officer", "done") is True


def test_without_a_cooldown_a_halt_does_not_hold_a_reset_back() -> None:
    rig = make(cooldown_after_reopen_s=0)
    rig.gate.kill("ops-desk", "test")
    rig.feed(VenueStatus(2 * SEC, "XNAS", "", "halted", "MWCB level 1"))
    assert rig.gate.reset("risk-officer", "done") is True


def test_the_cooldown_boundary_after_a_reopen() -> None:
    rig = make(cooldown_after_reopen_s=600)
    rig.feed(VenueStatus(2 * SEC, "XNAS", "", "halted", "MWCB level 1"))
    rig.feed(VenueStatus(3 * SEC, "XNAS", "", "open", "reopened"))
    rig.gate.kill("ops-desk", "after the halt")
    rig.at(3 * SEC + 600 * SEC - 1)
    assert rig.gate.reset("risk-officer", "one ns early") is False
    r = rig.gate.check(rig.order(t=3 * SEC + 600 * SEC - 1))
    assert r is not None and r.rule == "kill_switch"
    r = rig.gate.check(rig.order(t=3 * SEC + 600 * SEC))  # the first order at the end
    assert not rig.gate.kill_engaged
    assert r is not None and r.rule == "stale_reference"  # judged by the other layers again


def test_a_lost_venue_connection_kills() -> None:
    rig = make()
    working_everywhere(rig, per_venue=1)
    rig.feed(VenueStatus(2 * SEC, "BATS", "", "disconnected", "heartbeat timeout"))
    assert rig.gate.kill_engaged
    [action] = rig.actions("kill")
    assert action.rule == "venue_connection" and "BATS" in action.detail
    assert len(rig.cancels) == 3


@pytest.mark.parametrize(
    ("status", "instrument", "kills"),
    [("disconnected", "", True), ("disconnected", "ABC", True), ("closed", "", False),
     ("halted", "", False), ("paused", "ABC", False), ("Disconnected", "", False),
     ("open", "", False)],
)
def test_only_a_lost_connection_kills_of_the_statuses(status: str, instrument: str,
                                                      kills: bool) -> None:
    """The shipped matrix lists no status of its own: a lost connection kills by itself;
    a halt or a close is the venue's decision, not a loss of control."""
    rig = make(engage_on_venue_status=[])
    working_everywhere(rig, per_venue=1)
    rig.feed(VenueStatus(2 * SEC, "ARCX", instrument, status, "test"))
    assert rig.gate.kill_engaged is kills
    assert len(rig.cancels) == (3 if kills else 0)
    assert [a.rule for a in rig.actions("kill")] == (["venue_connection"] if kills else [])


def test_a_reconnect_does_not_reset_and_a_second_loss_does_not_kill_twice() -> None:
    rig = make()
    working_everywhere(rig, per_venue=1)
    rig.feed(VenueStatus(2 * SEC, "BATS", "", "disconnected", "heartbeat timeout"))
    rig.feed(VenueStatus(3 * SEC, "BATS", "", "open", "session restored"))
    rig.feed(VenueStatus(4 * SEC, "XNAS", "", "disconnected", "socket closed"))
    assert rig.gate.kill_engaged
    assert len(rig.actions("kill")) == 1 and len(rig.cancels) == 3
    r = rig.gate.check(rig.order(price=9_990, venue="BATS", t=5 * SEC))
    assert r is not None and r.rule == "kill_switch"


def test_a_status_the_matrix_lists_kills_too() -> None:
    rig = make(engage_on_venue_status=["closed"])
    rig.feed(VenueStatus(2 * SEC, "XNAS", "", "closed", "end of session"))
    assert rig.gate.kill_engaged
    assert [a.rule for a in rig.actions("kill")] == ["venue_status"]


def test_catastrophic_portfolio_drawdown_kills() -> None:
    rig = make(max_drawdown=100)
    o = rig.send(rig.order(side=1, qty=10, price=10_000))
    rig.fill(o)  # 10 shares: $0.10 per tick of mark
    rig.feed(Quote(2 * SEC, "ALL", "ABC", 9_000, 10, 9_002, 10))  # -$99.90: just below
    assert not rig.gate.kill_engaged
    rig.feed(Quote(2 * SEC, "ALL", "ABC", 8_999, 10, 9_001, 10))  # -$100: at the limit
    assert not rig.gate.kill_engaged
    rig.feed(Quote(3 * SEC, "ALL", "ABC", 8_998, 10, 9_000, 10))  # -$100.10
    assert rig.gate.kill_engaged
    [action] = rig.actions("kill")
    assert (action.rule, action.limit) == ("drawdown", 100) and action.value == pytest.approx(100.1)


def test_runaway_messages_across_strategies_kill() -> None:
    rig = make(max_messages=6, message_window_ms=1_000)
    t = 2 * SEC
    for i in range(6):  # 6 messages from 3 strategies: at the limit
        assert rig.gate.check(rig.order(price=9_990 - i, strategy=f"s{i % 3}", t=t)) is None
    assert not rig.gate.kill_engaged
    r = rig.gate.check(rig.order(price=9_900, strategy="s9", t=t))
    assert r is not None and r.rule == "kill_switch" and rig.gate.kill_engaged
    assert rig.actions("kill")[0].rule == "message_runaway"
    assert len(rig.cancels) == 6


def test_every_decision_event_goes_through_the_journal_codec() -> None:
    rig = make(max_drawdown=100)
    o = rig.send(rig.order(side=1, qty=10, price=10_000))
    rig.gate.check(rig.order(qty=10**6))  # a rejection
    rig.gate.state.strategy("s1").mode = StrategyMode.HALTED
    rig.gate.check(rig.order())  # an L2 rejection
    rig.fill(o)
    rig.feed(Quote(3 * SEC, "ALL", "ABC", 8_000, 10, 8_002, 10))  # a kill
    decisions = [e for e in rig.events]
    assert {type(e).__name__ for e in decisions} >= {"RiskAction", "OrderRejected", "KillSwitch"}
    for ev in decisions:
        assert decode(encode(ev)) == ev
