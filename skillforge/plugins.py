"""The plugin manager: every reader, host and analyzer comes through the hooks in ``hookspecs``.

skillforge's own are registered like a third party's (``Builtins`` below, ``tryfirst`` so a tie in format
sniffing goes to the built-in reader); installed packages add theirs with an entry point in the
``skillforge`` group, loaded on the first lookup. ``load_attr`` is the one place skillforge imports a
module by name: the lazy public API (``skillforge.run_distill``) and the CLI's lazily loaded commands.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib import metadata
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

from skillforge import hookspecs
from skillforge.errors import InputError, SpecError
from skillforge.hookspecs import hookimpl

if TYPE_CHECKING:
    from skillforge.distill.analyzer import Analyzer
    from skillforge.hosts.base import HostAdapter
    from skillforge.ingest.base import Reader

ENTRY_POINT_GROUP = "skillforge"

AnalyzerFactory = Callable[[], "Analyzer"]

_T = TypeVar("_T")

_registries: dict[str, dict[str, Any]] = {}
"""What each ``register_*`` hook registered, by hook name: built on the first lookup (detection asks for
the readers once per file), forgotten whenever a plugin is registered or unregistered."""


class _PluginManager(pluggy.PluginManager):
    """pluggy's manager, clearing the registries built from the hooks when the set of plugins changes."""

    def register(self, plugin: Any, name: str | None = None) -> str | None:
        try:
            return super().register(plugin, name)
        finally:
            _registries.clear()

    def unregister(self, plugin: Any | None = None, name: str | None = None) -> Any | None:
        try:
            return super().unregister(plugin, name)
        finally:
            _registries.clear()


pm = _PluginManager(ENTRY_POINT_GROUP)
pm.add_hookspecs(hookspecs)


def load_attr(module: str, attr: str) -> Any:
    """``module.attr``, importing ``module`` on first use (the lazy public API and CLI commands)."""
    return getattr(importlib.import_module(module), attr)


class Builtins:
    """skillforge's own readers, hosts and analyzers, registered through the same hooks as a plugin.

    Each hook imports only what it registers, so reading traces never loads the host adapters.
    """

    @hookimpl(tryfirst=True)
    def register_readers(self, register: Callable[[Reader], None]) -> None:
        from skillforge.ingest.formats import BUILTIN_READERS

        for reader in BUILTIN_READERS:
            register(reader)

    @hookimpl(tryfirst=True)
    def register_hosts(self, register: Callable[[HostAdapter], None]) -> None:
        from skillforge.hosts.agents_md import AgentsMdAdapter
        from skillforge.hosts.base import HostAdapter
        from skillforge.hosts.table import load_table

        # hosts.json names the adapter class of a host with special behaviour; the rest are plain data.
        special: dict[str, type[HostAdapter]] = {"agents_md": AgentsMdAdapter}
        for spec in load_table().hosts:
            if spec.adapter and spec.adapter not in special:
                raise SpecError(
                    f"host {spec.name!r} in hosts.json names an unknown adapter {spec.adapter!r}",
                    hint="known adapters: " + ", ".join(special),
                )
            register(special[spec.adapter](spec) if spec.adapter else HostAdapter(spec))

    @hookimpl(tryfirst=True)
    def register_analyzers(self, register: Callable[[str, AnalyzerFactory], None]) -> None:
        from skillforge.distill.heuristic.analyzer import HeuristicAnalyzer

        register("heuristic", HeuristicAnalyzer)


pm.register(Builtins(), name="skillforge.builtins")

_loaded = False


def load_plugins() -> None:
    """Register every installed package's ``skillforge`` entry points (once per process, sorted by name).

    A plugin that fails to import is an error naming it: a silently missing format would read as
    "unknown format" and send the user looking in the wrong place.
    """
    global _loaded
    if _loaded:
        return
    for entry in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (e.name, e.value)):
        if pm.has_plugin(entry.name) or pm.is_blocked(entry.name):
            continue
        try:
            pm.register(entry.load(), name=entry.name)
        except Exception as exc:  # noqa: BLE001 - any import or hook-signature error of third-party code
            dist = entry.dist.name if entry.dist is not None else "its package"
            raise InputError(
                f"skillforge plugin {entry.name!r} ({entry.value}) failed to load: {exc}",
                hint=f"fix or uninstall {dist}",
            ) from None
    _loaded = True


def _collect(hook: str, kind: str, entry: Callable[..., tuple[str, _T]]) -> dict[str, _T]:
    """What every plugin registered through ``hook``, by name (``entry`` turns a ``register(...)`` call
    into ``(name, item)``); a name used twice is an error. Built once until the plugins change."""
    load_plugins()
    if hook not in _registries:
        found: dict[str, _T] = {}

        def register(*args: Any) -> None:
            name, item = entry(*args)
            if name in found:
                raise InputError(
                    f"two {kind}s are named {name!r}", hint="a skillforge plugin reuses a name; uninstall or rename it"
                )
            found[name] = item

        getattr(pm.hook, hook)(register=register)
        _registries[hook] = found
    return dict(_registries[hook])  # a copy: a caller editing its answer must not change the next one's


def readers() -> dict[str, Reader]:
    """Every trace reader by format name: the built-ins in their fixed order, then the plugins'."""
    return _collect("register_readers", "reader", lambda reader: (reader.name, reader))


def hosts() -> dict[str, HostAdapter]:
    """Every agent host's adapter by CLI name: the table's hosts in order, then the plugins'."""
    return _collect("register_hosts", "host", lambda adapter: (adapter.name, adapter))


def analyzers() -> dict[str, AnalyzerFactory]:
    """Every analyzer factory by name (``heuristic`` built in; the model analyzer is built per run from
    ``--model`` and is not listed here)."""
    return _collect("register_analyzers", "analyzer", lambda name, factory: (name, factory))


def get_analyzer(name: str) -> Analyzer:
    """A fresh analyzer named ``name``; ``InputError`` listing the known names otherwise."""
    factories = analyzers()
    if name not in factories:
        raise InputError(f"unknown analyzer {name!r}", hint="choose one of: " + ", ".join(factories))
    return factories[name]()
