"""Imports paid on first use: package attributes (PEP 562), so that a package lists what it
offers without importing every module behind it, and costly optional modules of other
libraries that our processes import but rarely use."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from importlib import import_module
from importlib.util import find_spec
from types import ModuleType
from typing import Any


def lazy_exports(
    package: str,
    exports: Mapping[str, Iterable[str]],
    namespace: dict[str, Any],
    *,
    modules: Iterable[str] = (),
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``exports`` maps a submodule to the
    names of it the package offers; each of ``modules`` (a submodule) is offered itself,
    under its last name. A name is imported when first used, then kept in ``namespace``
    (the package's globals)."""
    names: dict[str, tuple[str, str | None]] = {
        name: (module, name) for module, offered in exports.items() for name in offered
    }
    names.update({module.rpartition(".")[2]: (module, None) for module in modules})

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, attr = names[name]
        loaded = import_module(f".{module}", package)
        value = loaded if attr is None else getattr(loaded, attr)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__


_DEFERRED_LOCK = threading.Lock()


def defer_import(name: str, functions: tuple[str, ...]) -> None:
    """Stand in for module ``name`` until it is really used: ``from name import f`` for an
    ``f`` in ``functions`` gets a function that imports the module on its first call; any
    other public attribute (``__all__`` too) imports it at once. Probes (``find_spec``,
    ``__file__``, ``__path__``) see the real module's spec without importing it. Nothing
    changes if the module is missing or already imported.

    For modules that are costly to import and usually unused: jsonschema imports
    ``rfc3987_syntax`` (when installed, as JupyterLab's dependencies install it) for its IRI
    format check, and that module compiles a Lark grammar on import, a second of CPU in every
    process that imports nbformat, which never checks that format."""
    if name in sys.modules:
        return
    spec = find_spec(name)
    if spec is None:
        return
    stand_in = ModuleType(name, f"{name}, imported on first use")
    stand_in.__spec__ = spec
    stand_in.__loader__ = spec.loader
    if spec.has_location and spec.origin:
        stand_in.__file__ = spec.origin
    if spec.submodule_search_locations is not None:
        stand_in.__path__ = list(spec.submodule_search_locations)

    def load() -> ModuleType:
        with _DEFERRED_LOCK:
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
            return import_module(name)

    def deferred(function: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            return getattr(load(), function)(*args, **kwargs)

        call.__name__ = call.__qualname__ = function
        return call

    def attribute(attr: str) -> Any:
        if attr == "__all__":  # import *: the real module's public names
            real = load()
            return getattr(real, "__all__", [n for n in vars(real) if not n.startswith("_")])
        if attr.startswith("__"):  # probes must not load it
            raise AttributeError(attr)
        return getattr(load(), attr)

    for function in functions:
        setattr(stand_in, function, deferred(function))
    stand_in.__getattr__ = attribute  # type: ignore[attr-defined]
    sys.modules[name] = stand_in
