"""Build hooks beyond pyproject.toml: the C matching engine, the C event loop, the C risk gate
and the C market-data path of the trading system.

The extensions are optional: without a C compiler the package still installs and
`flashguard.market.matching.MatchingEngine`, `flashguard.core.loop.EventLoop` and
`flashguard.core.clock.SimClock` are the pure-Python ones. FLASHGUARD_PURE=1 skips compiling
them altogether.

An in-place (editable) build copies each built library into src/ under a temporary name and
renames it over the old one: writing over a shared library that a running process has mapped
(a test run, a simulation) would crash that process; a rename leaves its mapping intact.
"""

import os
import shutil

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class AtomicBuildExt(build_ext):
    def copy_file(self, infile, outfile, *args, **kwargs):  # type: ignore[no-untyped-def]
        if os.path.isdir(outfile):
            outfile = os.path.join(outfile, os.path.basename(infile))
        if self.dry_run:
            return outfile, 1
        tmp = f"{outfile}.{os.getpid()}.tmp"
        shutil.copy2(infile, tmp)
        os.replace(tmp, outfile)
        return outfile, 1


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
                for part in ("args", "base", "book", "draws", "guard", "hft", "map", "mm", "noise", "pool", "prot", "sip", "slots", "tap", "venue", "views")
            ]
            + ["src/flashguard/core/_cloop_api.h"],
            optional=True,
        ),
        Extension(
            "flashguard.core._cloop",
            sources=["src/flashguard/core/_cloop.c"],
            depends=["src/flashguard/core/_cloop_api.h"],
            optional=True,
        ),
        Extension(
            "flashguard.system.risk._cgate",
            sources=["src/flashguard/system/risk/_cgate.c"],
            depends=["src/flashguard/system/_cslots.h"],
            optional=True,
        ),
        Extension(
            "flashguard.system._clane",
            sources=["src/flashguard/system/_clane.c"],
            depends=["src/flashguard/core/_cloop_api.h", "src/flashguard/system/_cslots.h"],
            optional=True,
        ),
    ]
)

setup(ext_modules=ext_modules, cmdclass={"build_ext": AtomicBuildExt})
