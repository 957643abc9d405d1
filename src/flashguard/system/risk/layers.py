"""Which layers of defence a gate runs: all four, unless some are switched off to measure what
each one is worth (`flashguard run --disable L1,L2 --ablation`). docs/risk.md, "Switching
layers off", says what each switch leaves in place."""

from __future__ import annotations

from collections.abc import Iterable

from flashguard.system.risk.types import L1, L2, L3, L4

LAYERS = (L1, L2, L3, L4)


def parse_disabled(disabled: Iterable[str]) -> frozenset[str]:
    """The layers to switch off, checked: each must be one of L1, L2, L3, L4."""
    if isinstance(disabled, str | bytes):
        # a lone "L1" would otherwise read as the letters {"L", "1"}
        raise ValueError(
            f"disabled={disabled!r} must be a set of layers such as frozenset({{'L1'}}), "
            "not a string"
        )
    try:
        layers = frozenset(disabled)
    except TypeError:
        raise ValueError(
            f"disabled={disabled!r} must be a set of layers among {', '.join(LAYERS)}"
        ) from None
    unknown = sorted((x for x in layers if x not in LAYERS), key=repr)
    if unknown:
        raise ValueError(
            f"disabled={sorted(layers, key=repr)!r}: {', '.join(map(repr, unknown))} "
            f"{'is not a layer' if len(unknown) == 1 else 'are not layers'}; "
            f"layers are {', '.join(LAYERS)}"
        )
    return layers
