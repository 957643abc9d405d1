"""Which twin runs: a C extension module, or the Python reference beside it.

Every hot piece with a C twin (the matching engine, the event loop and its clock, the risk
gate's fast path) keeps its Python version as the reference and picks the twin here, so the
rule is one rule: the extension when it is built, unless the environment sets
FLASHGUARD_PURE=1 (tests and benchmarks use it to run the references).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType


def pure() -> bool:
    """FLASHGUARD_PURE is set (to anything but empty or "0"): run the Python references."""
    return os.environ.get("FLASHGUARD_PURE", "") not in ("", "0")


def c_twin(module: str) -> ModuleType | None:
    """The C extension `module`, or None when FLASHGUARD_PURE=1 or it was not built (no
    compiler, or installed with FLASHGUARD_PURE=1)."""
    if pure():
        return None
    try:
        return importlib.import_module(module)
    except ImportError:
        return None
