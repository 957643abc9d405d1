"""The Timeline of Automated Reaction, on a scripted crash journal written with the real Journal."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import pytest
from crash_journal import (
    CALM,
    FALL_END,
    INSTRUMENT,
    LOW,
    START,
    at,
    depth_at,
    drawdown_at,
    price_at,
    write_run,
)
from rich.console import Console

from flashguard.core.clock import NS_PER_MINUTE, NS_PER_SECOND
from flashguard.core.events import Event, OrderRejected, PortfolioSnapshot, Quote, RiskAction
from flashguard.journal.store import Journal
from flashguard.report import build_timeline, load_run_dir, timeline_table, to_markdown
from flashguard.report.timeline import Timeline, TimelineRow


def minute(hh: int, mm: int) -> int:
    return hh * 60 + mm


@pytest.fixture(scope="module")
def timeline(crash_run: tuple[Path, list[Event]]) -> Timeline:
    return build_timeline(load_run_dir(crash_run[0]))


def row(tl: Timeline, hh: int, mm: int) -> TimelineRow:
    found = [r for r in tl.rows if r.minute == minute(hh, mm)]
    assert found, f"no row at {hh:02d}:{mm:02d}; rows: {[r.time for r in tl.rows]}"
    return found[0]


def recovered_at() -> int:
    """The first trade (one every other second from START) after the low at a price that
    won back 90% of the fall."""
    target = LOW + 0.9 * (CALM - LOW)
    t = FALL_END
    while price_at(t) < target or (t - START) % (2 * NS_PER_SECOND):
        t += NS_PER_SECOND
    return t


def test_each_defence_is_in_the_row_of_its_minute(timeline: Timeline) -> None:
    assert row(timeline, 14, 32).response == ("momentum -> preservation mode (vpin cdf 0.93)",)
    assert row(timeline, 14, 33).response == (
        "L2 momentum -> REDUCING (drawdown 21,000 > 20,000)",
        "SOR probe×3",
    )
    assert row(timeline, 14, 34).response == (
        "L3 portfolio -> REDUCE-ONLY (var 50,000 > 40,000)",
        "rejected 3: L1 luld_band×3",
        "SOR reroute",
    )
    assert row(timeline, 14, 35).response == (
        "L4 all -> KILL SWITCH ENGAGED (drawdown 30,000 > 25,000)",
        "5 orders cancelled",
    )
    assert row(timeline, 14, 48).response == ("momentum -> normal mode (vpin cdf 0.41)",)


def test_the_kill_switch_is_said_once_though_journaled_twice(timeline: Timeline) -> None:
    lines = [line for r in timeline.rows for line in r.response if "KILL" in line.upper()]
    assert len(lines) == 1


def test_window_runs_from_before_the_first_sign_to_after_the_recovery(timeline: Timeline) -> None:
    (episode,) = timeline.episodes
    assert episode.start_ns == at(14, 32, 40)  # the regime change, the first sign
    assert episode.first_minute == (at(14, 32, 40) - 3 * NS_PER_MINUTE) // NS_PER_MINUTE
    assert episode.last_minute == (recovered_at() + 5 * NS_PER_MINUTE) // NS_PER_MINUTE
    shown = [r.minute for r in timeline.rows]
    window = list(range(episode.first_minute, episode.last_minute + 1))
    assert shown[-len(window):] == window
    assert timeline.fall is not None and timeline.fall.recovered_ns == recovered_at()


def test_a_stray_action_outside_the_episode_gets_its_own_row_and_a_gap(timeline: Timeline) -> None:
    shown = [r.minute for r in timeline.rows]
    # 14:20 (the session opening) is no action; 14:21 holds the stray L1 reject
    assert shown[0] == minute(14, 21)
    assert row(timeline, 14, 21).response == ("rejected 1: L1 fat_finger",)
    assert not any(minute(14, 22) <= m <= minute(14, 28) for m in shown)
    assert row(timeline, 14, 29).gap_before and not row(timeline, 14, 30).gap_before


def test_market_condition_is_computed_from_the_quotes_and_trades(timeline: Timeline) -> None:
    end = at(14, 36, 59)
    cell = row(timeline, 14, 36).market
    last_trade = price_at(end - NS_PER_SECOND)  # trades print every other second
    assert cell.price == last_trade
    assert cell.move_pct == pytest.approx((last_trade / CALM - 1) * 100)
    assert cell.low_pct == pytest.approx((LOW / CALM - 1) * 100)
    assert cell.min_depth == 2 * depth_at(end)
    assert cell.max_spread == 2
    assert "A: paused 14:34:10 -> auction 14:34:15 -> open 14:34:16" in row(timeline, 14, 34).market.venues
    assert row(timeline, 14, 35).market.venues == ("B: limit_state 14:35:00 -> paused 14:35:15",)
    assert row(timeline, 14, 37).market.venues == ("B: paused",)
    assert row(timeline, 14, 41).market.venues == ()


def test_system_metrics_are_the_last_snapshot_of_the_minute(timeline: Timeline) -> None:
    s = row(timeline, 14, 34).system
    assert s is not None
    assert s.drawdown_pct == pytest.approx(drawdown_at(at(14, 34, 59)))
    assert s.mode == "reduce_only"
    killed = row(timeline, 14, 35).system
    assert killed is not None and killed.mode == "killed"


def test_markdown_has_one_line_per_row_and_the_gap(timeline: Timeline) -> None:
    md = to_markdown(timeline)
    lines = md.splitlines()
    table = [line for line in lines if line.startswith("| ")]
    assert table[0] == "| time | market condition | system-level metrics | automated system response |"
    assert len(table) == 1 + len(timeline.rows) + sum(r.gap_before for r in timeline.rows)
    kill = next(line for line in table if line.startswith("| 14:35 |"))
    assert "1,099.50" in kill  # 4398 ticks of 0.25, from the journal's tick_size meta
    assert "L4 all -> KILL SWITCH ENGAGED" in kill and "mode killed" in kill
    # from the last second at which the last trade still stood at the high
    assert "- Largest fall: 5.00% from 14:32:01 to 14:36:30" in md


def test_rich_table_prints_every_row(crash_run: tuple[Path, list[Event]]) -> None:
    console = Console(width=200, record=True)
    console.print(timeline_table(crash_run[0]))
    text = console.export_text()
    assert "Timeline of Automated Reaction" in text
    assert "14:35" in text and "KILL SWITCH ENGAGED" in text


def test_prices_are_in_ticks_without_a_tick_size(tmp_path: Path) -> None:
    write_run(tmp_path, tick_size=None)
    tl = build_timeline(load_run_dir(tmp_path))
    assert "4,600 ticks" in to_markdown(tl)
    with_tick = build_timeline(load_run_dir(tmp_path, tick_size=Decimal("0.25")))
    assert "1,150.00" in to_markdown(with_tick)


def test_bars_give_the_market_columns_when_present(tmp_path: Path) -> None:
    write_run(tmp_path)
    # bars that disagree with the journal's quotes, so the test sees which source was used
    lines = ["t_ns,venue,last,mid,best_bid,best_ask,bid_size,ask_size,volume"]
    for t in range(START, at(15, 5) + 1, NS_PER_SECOND):
        p = price_at(t) + 100
        lines.append(f"{t},ALL,{p},{p},{p - 3},{p + 3},7,8,5")
    (tmp_path / "bars_1s.csv").write_text("\n".join(lines) + "\n")
    cell = row(build_timeline(load_run_dir(tmp_path)), 14, 36).market
    assert cell.price == price_at(at(14, 36, 59)) + 100
    assert cell.max_spread == 6 and cell.min_depth == 15


def _calm_journal(path: Path, with_action: bool) -> None:
    with Journal(path / "journal.sqlite") as j:
        for i in range(180):
            t = at(10, 0, i)
            j.append(Quote(t, "ALL", INSTRUMENT, 999, 5, 1001, 5))
            j.append(PortfolioSnapshot(t, 1e6, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1, "active"))
        if with_action:
            t = at(10, 1, 30)
            j.append(OrderRejected(t, "ALL", INSTRUMENT, 0, "x", 1, "L1 max_qty", "L1", "max_qty"))
            j.append(RiskAction(t, "L1", "max_qty", 50.0, 10.0, "reject", "mm"))


def test_a_calm_run_shows_only_its_actions(tmp_path: Path) -> None:
    _calm_journal(tmp_path, with_action=True)
    tl = build_timeline(load_run_dir(tmp_path))
    assert tl.episodes == []
    assert [(r.time, r.response) for r in tl.rows] == [("10:01", ("rejected 1: L1 max_qty",))]


def test_a_run_with_nothing_to_report_says_so(tmp_path: Path) -> None:
    _calm_journal(tmp_path, with_action=False)
    tl = build_timeline(load_run_dir(tmp_path))
    assert tl.rows == []
    md = to_markdown(tl)
    assert "No stress sign and no automated action" in md and "| time |" not in md
    assert not math.isnan(tl.reference)


def test_minutes_whose_only_news_is_a_rejection_fold_into_one_row(tmp_path: Path) -> None:
    with Journal(tmp_path / "journal.sqlite") as j:
        for i in range(40 * 60):
            t = at(10, 0, i)
            j.append(Quote(t, "ALL", INSTRUMENT, 999, 5, 1001, 5))
            j.append(PortfolioSnapshot(t, 1e6, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.1, "active"))
            if i % 150 == 0:  # every 2.5 minutes, 10:00 to 10:37:30
                j.append(OrderRejected(t, "ALL", INSTRUMENT, 0, f"x{i}", 1, "", "L1", "throttle"))
            if i == 20 * 60 + 5:  # an action of another kind (a release: no episode) at 10:20
                j.append(RiskAction(t, "L2", "volatility", 40.0, 60.0, "restore_size", "mm", "level 0"))
    tl = build_timeline(load_run_dir(tmp_path))
    assert [(r.time, r.response) for r in tl.rows] == [
        ("10:00–10:17", ("rejected 8: L1 throttle×8 (in 8 minutes)",)),
        ("10:20", ("L2 mm -> size restored (volatility 40 bps <= 60 bps, level 0)",
                   "rejected 1: L1 throttle")),
        ("10:22–10:37", ("rejected 7: L1 throttle×7 (in 7 minutes)",)),
    ]
    assert [r.gap_before for r in tl.rows] == [False, True, True]


def test_a_flickering_venue_is_counted_not_spelt_out() -> None:
    from flashguard.report.timeline import MAX_STEPS, _steps

    t0 = at(14, 34, 0)
    few = [("paused", t0 + 11 * NS_PER_SECOND), ("open", t0 + 16 * NS_PER_SECOND)]
    assert _steps(few) == "paused 14:34:11 -> open 14:34:16"
    flicker = [("paused" if i % 2 == 0 else "open", t0 + (11 + 5 * i) * NS_PER_SECOND)
               for i in range(MAX_STEPS + 5)]
    assert _steps(flicker) == (
        "paused x5, open x4 from 14:34:11 to 14:34:51, ending paused"
    )


def test_a_flatten_is_told_by_its_detail_not_as_a_limit_breach() -> None:
    """Its value is the lots held and its limit 0: "drawdown 27 > 0" would misread it."""
    from flashguard.core.events import RiskAction
    from flashguard.report.describe import risk_action

    a = RiskAction(at(14, 34, 38), "L2", "volatility", 27.0, 0.0, "flatten_strategy",
                   "market_maker", "positions unwound by the risk layer: FGX +27")
    assert risk_action(a) == (
        "L2 market_maker -> flatten (positions unwound by the risk layer: FGX +27)"
    )
