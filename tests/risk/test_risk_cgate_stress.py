"""A long seeded stress run of the C twin of the gate against its Python reference: 200,000
mixed steps (orders of every kind, from one parent or several; acks, fills, cancels, venue
rejects and expiries, modifies, quotes, trades, published bands good and bad, venue halts,
reopens and disconnects, kills and resets, strategy halts and restarts, clock jumps), on a
tight matrix where every limit trips often and a roomy one where most orders take the C
path. After every step the two answer the same; every 500 steps they have emitted the same
events and hold the same state.

A crash was once seen inside _cgate during a rebuild: this is the long run to catch a
reference counting error (run it under `python -X dev` too; docs/risk.md, "Speed")."""

from __future__ import annotations

import gc
import random
from typing import Any

import pytest
from gate_session import KINDS, PARENTS, STATUSES, Session
from risk_rig import MS, ROOMY, TIGHT, matrix

from flashguard.system.risk import fastpath
from flashguard.system.risk.params import RiskMatrix

pytestmark = [
    pytest.mark.skipif(fastpath.IMPLEMENTATION != "c",
                       reason="flashguard.system.risk._cgate is not built"),
    pytest.mark.slow,
]

STEPS = 100_000  # per matrix
CHECK_EVERY = 500

ROOMIER = matrix(
    strategy_defaults={**ROOMY, "max_order_qty": 12, "duplicate_window_ms": 50,
                       "max_messages": 400,
                       "message_window_ms": 1_000, "collar_bps": 300, "fat_finger_bps": 800},
    # no cool-down: a reset takes at once, and the run spends its time on the common case
    kill_switch={"max_messages": 2_000, "message_window_ms": 1_000,
                 "cooldown_after_reopen_s": 0},
    venue_defaults={"max_msgs_per_s": 400, "burst": 60, "cancel_msgs_per_s": 1_000,
                    "cancel_burst": 500},
)

WAITS = (0, 0, 1, MS, 20 * MS, 49 * MS, 50 * MS, 60 * MS, 300 * MS, 1_100 * MS)


def random_step(rng: random.Random) -> tuple[Any, ...]:
    r = rng.random()
    i = rng.randrange(8)
    if r < 0.42:
        kind = KINDS[0] if rng.random() < 0.7 else rng.choice(KINDS)
        return ("order", rng.randrange(2), rng.randrange(2), rng.randrange(2),
                rng.choice((1, -1)), rng.randint(-3, 12), rng.randint(1, 12), kind,
                rng.randrange(len(PARENTS)))
    if r < 0.52:
        return ("ack", i)
    if r < 0.59:
        return ("fill", i, rng.randint(1, 4), rng.randint(-30, 30))
    if r < 0.66:
        return ("cancel", i)
    if r < 0.75:
        return ("quote", rng.randrange(2), rng.randint(-20, 20))
    if r < 0.78:
        return ("trade", rng.randrange(2), rng.randint(-40, 40))
    if r < 0.86:
        return ("wait", rng.choice(WAITS))
    if r < 0.88:
        return ("band", rng.randrange(2), rng.randint(-5, 600), rng.randint(0, 600))
    if r < 0.90:
        return ("reject", i)
    if r < 0.91:
        return ("expire", i)
    if r < 0.93:
        return ("modified", i, rng.randint(0, 12), rng.random() < 0.3)
    if r < 0.965:
        op = rng.choice(("kill", "reset", "reset", "reset", "restart", "restart", "clear"))
        return ("operator", op)
    if r < 0.97:
        return ("halt", rng.randrange(2))
    # mostly reopens: a halted venue holds every reset back, and the run must come back to
    # the common case to exercise it
    status = rng.choices(STATUSES, weights=(20, 60, 15, 5))[0]
    return ("status", rng.randrange(2), status)


def stress(m: RiskMatrix, seed: int, steps: int) -> dict[str, int]:
    rng = random.Random(seed)
    lane, reference = Session(m, lane=True), Session(m, lane=False)
    seen: dict[str, int] = {}
    for n in range(1, steps + 1):
        s = random_step(rng)
        lane.step(s)
        reference.step(s)
        if s[0] == "order":
            a, b = lane.answers[-1], reference.answers[-1]
            assert a == b, (n, s, a, b)
            rule = "accept" if a is None else a.rule
            seen[rule] = seen.get(rule, 0) + 1
            # the answers are compared: keep the memory flat over a long run
            lane.answers.clear()
            reference.answers.clear()
        if n % CHECK_EVERY == 0:
            assert lane.outcome() == reference.outcome(), (n, s)
            for x in (lane, reference):
                x.rig.events.clear()
                x.rig.cancels.clear()
                del x.sent[:-50]
            if n % (CHECK_EVERY * 20) == 0:
                gc.collect()  # a collection walks every object the C side stored
    assert lane.outcome() == reference.outcome()
    return seen


@pytest.mark.parametrize(("name", "m", "seed"), [("tight", TIGHT, 5), ("roomier", ROOMIER, 6)])
def test_the_c_twin_equals_the_python_reference_over_a_long_run(
    name: str, m: RiskMatrix, seed: int,
) -> None:
    seen = stress(m, seed, STEPS)
    # the run went where it was meant to: the C path, and the rules that hand back to Python
    assert seen["accept"] > (STEPS // 200 if name == "tight" else STEPS // 10), seen
    expected = {"duplicate_order", "kill_switch"} | (
        {"message_throttle", "strategy_halted", "max_open_orders"} if name == "tight"
        else {"luld_band", "fat_finger"}
    )
    assert expected <= set(seen), seen
