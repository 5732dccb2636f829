"""The hooks a plugin implements to add trace formats, agent hosts or analyzers.

A plugin is a module (or any object) with functions named after these hooks, marked ``@hookimpl``, and
announced by an entry point in the ``skillforge`` group::

    # pyproject.toml of the plugin
    [project.entry-points.skillforge]
    my_format = "skillforge_my_format"

    # skillforge_my_format.py
    from skillforge.hookspecs import hookimpl

    @hookimpl
    def register_readers(register):
        register(Reader(name="my-format", sniff=sniff, read=read))

The built-in readers, hosts and analyzers are registered through the same hooks (``skillforge.plugins``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pluggy import HookimplMarker, HookspecMarker

if TYPE_CHECKING:
    from skillforge.distill.analyzer import Analyzer
    from skillforge.hosts.base import HostAdapter
    from skillforge.ingest.base import Reader

hookspec = HookspecMarker("skillforge")
hookimpl = HookimplMarker("skillforge")


@hookspec
def register_readers(register: Callable[[Reader], None]) -> None:
    """Register trace readers: call ``register(reader)`` once per ``skillforge.ingest.base.Reader``.

    A reader is detected by content like the built-ins (its ``sniff`` scores a probe of the file) and can
    be forced with ``--format NAME``.
    """


@hookspec
def register_hosts(register: Callable[[HostAdapter], None]) -> None:
    """Register agent hosts: call ``register(adapter)`` once per ``skillforge.hosts.base.HostAdapter``.

    Most hosts need only the generic adapter built from a ``HostSpec`` (their folders as data); subclass
    it for hosts that keep an index file or need other behaviour.
    """


@hookspec
def register_analyzers(register: Callable[[str, Callable[[], Analyzer]], None]) -> None:
    """Register analyzers: call ``register(name, factory)``; ``factory()`` returns a fresh analyzer
    (an object with ``name`` and ``analyze(traces) -> list[Lesson]``, see ``distill.analyzer.Analyzer``)."""
