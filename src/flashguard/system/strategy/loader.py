"""Load a strategy class from "path/to/file.py:ClassName" (a user's single file) or from
"package.module:ClassName" (an installed module, e.g. a built-in).

A file is imported under a module name derived from its resolved path, so two files with the
same base name do not collide, and loading the same file twice gives the same class.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from flashguard.system.strategy.base import Strategy


class StrategyLoadError(ValueError):
    pass


def load_strategy(spec: str) -> type[Strategy]:
    where, sep, class_name = spec.rpartition(":")
    if not sep or not where or not class_name:
        raise StrategyLoadError(
            f"strategy={spec!r}: expected 'path/to/file.py:ClassName' or 'module:ClassName'"
        )
    module = _import_file(spec, where) if _is_path(where) else _import_module(spec, where)
    cls = getattr(module, class_name, None)
    if cls is None:
        raise StrategyLoadError(f"strategy={spec!r}: {where} defines no {class_name!r}")
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise StrategyLoadError(
            f"strategy={spec!r}: {class_name} is not a subclass of "
            "flashguard.system.strategy.Strategy"
        )
    return cls


def make_strategy(spec: str, **params: Any) -> Strategy:
    """Load and instantiate; params go to the class's constructor."""
    cls = load_strategy(spec)
    try:
        return cls(**params)
    except TypeError as exc:
        raise StrategyLoadError(f"strategy={spec!r}: cannot construct with {params}: {exc}") from None


def _is_path(where: str) -> bool:
    return where.endswith(".py") or "/" in where or "\\" in where


def _import_module(spec: str, name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise StrategyLoadError(f"strategy={spec!r}: cannot import {name}: {exc}") from None


def _import_file(spec: str, where: str) -> ModuleType:
    path = Path(where).resolve()
    if not path.is_file():
        raise StrategyLoadError(f"strategy={spec!r}: no such file {where}")
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:12]
    name = f"flashguard_user_strategy_{path.stem}_{digest}"
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise StrategyLoadError(f"strategy={spec!r}: {where} is not an importable Python file")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise StrategyLoadError(
            f"strategy={spec!r}: importing {where} failed: {type(exc).__name__}: {exc}"
        ) from exc
    return module
