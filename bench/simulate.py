"""Benchmark: whole simulated markets, agents and venues and protections together.

Prints one JSON line per scenario:
{"name": "simulate", "scenario", "agents", "messages", "msgs_per_s", "wall_s", "simulated_s",
 "loop", "engine"}   (loop, engine: "c" or "python", see bench/loop.py and bench/matching.py)

    python bench/simulate.py                 # the full may6 scenario
    python bench/simulate.py may6 calm       # several
    python bench/simulate.py --quick         # 2 simulated minutes of may6 (CI: does it run?)
"""

from __future__ import annotations

import argparse
import json

import msgspec

from flashguard.core import loop
from flashguard.market import matching
from flashguard.market.scenario import load_scenario
from flashguard.market.simulation import Simulation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", default=["may6"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="2 simulated minutes only")
    args = parser.parse_args()
    for name in args.scenarios:
        sc = load_scenario(name)
        if args.quick:
            sc = msgspec.structs.replace(sc, duration_s=120)
        sim = Simulation(sc, args.seed)
        sim.run()
        wall = sim.wall_seconds
        print(json.dumps({
            "name": "simulate",
            "scenario": sc.name,
            "agents": sim.agent_count,
            "messages": sim.messages,
            "msgs_per_s": round(sim.messages / wall) if wall > 0 else None,
            "wall_s": round(wall, 3),
            "simulated_s": sc.duration_s,
            "loop": loop.IMPLEMENTATION,
            "engine": matching.IMPLEMENTATION,
        }))


if __name__ == "__main__":
    main()
