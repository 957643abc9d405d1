"""Build hooks beyond pyproject.toml: the C matching engine.

The extension is optional: without a C compiler the package still installs and
`flashguard.market.matching.MatchingEngine` is the pure-Python engine. FLASHGUARD_PURE=1 skips
compiling it altogether.
"""

import os

from setuptools import Extension, setup


def _pure() -> bool:
    return os.environ.get("FLASHGUARD_PURE", "") not in ("", "0")


ext_modules = (
    []
    if _pure()
    else [
        Extension(
            "flashguard.market._cengine",
            sources=["src/flashguard/market/_cengine.c"],
            depends=[
                f"src/flashguard/market/_cengine_{part}.h"
                for part in ("args", "base", "book", "map", "pool", "views")
            ],
            optional=True,
        ),
        Extension(
            "flashguard.system.risk._cgate",
            sources=["src/flashguard/system/risk/_cgate.c"],
            optional=True,
        ),
    ]
)

setup(ext_modules=ext_modules)
