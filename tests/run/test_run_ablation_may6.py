"""The headline claim of `--ablation`: on the default scenario, with every risk layer on, the
desk's max drawdown is at least 3x smaller than with all of them off - on more than one seed.

Each case is two full may6 runs through the real run path (journal and summary; ~30 s of
one core each), so it is slow; it stays in CI because it guards what the defences are for.

Measured (all off / all on, max drawdown): seed 1 21.4x, 2 2.8x, 3 24.1x, 4 45.0x, 5 32.5x,
6 68.9x, 7 12.5x, 8 24.2x, 13 37.8x. On seed 2 the undefended desk loses less in the crash
(0.09% against 0.26-0.75% on the others). Tested on the default seed (1), on seed 4, and on
the lowest ratio above 3x (seed 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from run_rig import quiet

from flashguard.run.inputs import make_inputs
from flashguard.run.runner import start
from flashguard.system.risk.layers import LAYERS


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 4, 7])
def test_the_layers_cut_the_may6_drawdown_at_least_threefold(tmp_path: Path, seed: int) -> None:
    inputs = make_inputs("may6", seed=seed)
    on = start(inputs, tmp_path / "on", quiet(), reports=False)["system"]
    off = start(inputs.variant(LAYERS), tmp_path / "off", quiet(), reports=False)["system"]
    assert on["max_drawdown_pct"] > 0  # the desk took risk: the ratio means something
    assert off["max_drawdown_pct"] >= 3 * on["max_drawdown_pct"], (on, off)
    # the defences acted: layer-2 decisions are journaled with every layer on, none without
    assert any(a["layer"] == "L2" for a in on["actions"])
    assert not off["actions"]
