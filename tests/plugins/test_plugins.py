"""A third-party package adds a trace format and an agent host: registered in-process with pluggy, and
found through a real entry point (a dist-info folder on a temporary ``sys.path`` entry, as pip writes it).
Either way the format is detected by content in ``skillforge inspect``, the host is listed by
``skillforge hosts``, and a skill installs into it."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from skillforge import plugins
from skillforge.cli import cli
from skillforge.cli.inspect import complete_formats
from skillforge.errors import InputError

from ..factories import skill_md, write_skill_folder

PLUGIN = "skillforge_demo_plugin"

PLUGIN_SOURCE = '''
"""A demo agent's plain-text logs, and the demo agent as an install target."""

from __future__ import annotations

import hashlib
import json

from skillforge.hookspecs import hookimpl
from skillforge.hosts.base import HostAdapter
from skillforge.hosts.table import HostSpec
from skillforge.ingest.base import Reader
from skillforge.models import Outcome, Source, Step, ToolCall, ToolResult, Trace

MAGIC = "DEMO-LOG v1"


def sniff(probe):
    return 1.0 if probe.kind == "text" and probe.text.startswith(MAGIC) else 0.0


def read(path, probe, options):
    steps, task, failed = [], "", False
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        if line.startswith("task: "):
            task = line[6:]
            steps.append(Step(role="user", text=task))
        elif line.startswith("$ "):
            call = ToolCall(name="shell", arguments={"command": line[2:]})
            steps.append(Step(role="assistant", tool_call=call))
        elif line.startswith("! "):
            failed = True
            steps.append(Step(role="tool", tool_result=ToolResult(output=line[2:], is_error=True)))
        elif line:
            steps.append(Step(role="tool", tool_result=ToolResult(output=line)))
    ident = hashlib.sha256(str(path).encode()).hexdigest()[:16]
    yield Trace(id=ident, source=Source(path=str(path), format="demo-log"), task=task, steps=steps,
                outcome=Outcome(success=not failed))


@hookimpl
def register_readers(register):
    register(Reader("demo-log", sniff, read, "Demo agent plain-text logs"))


class EchoAnalyzer:
    name = "echo"

    def analyze(self, traces):
        self.seen = [t.id for t in traces]  # reads every (redacted) trace, learns nothing
        return []


@hookimpl
def register_analyzers(register):
    register("echo", EchoAnalyzer)


@hookimpl
def register_hosts(register):
    spec = HostSpec.model_validate({
        "name": "demo-agent",
        "display": "Demo Agent",
        "project": {"install": ".demo-agent/skills", "reads": [".demo-agent/skills"], "status": "U",
                    "source": "demo plugin"},
        "global": {"install": "~/.demo-agent/skills", "reads": ["~/.demo-agent/skills"], "status": "U",
                   "source": "demo plugin"},
        "detect": {"paths": ["~/.demo-agent"]},
    })
    register(HostAdapter(spec))
'''

DIST_INFO = {
    "METADATA": "Metadata-Version: 2.1\nName: skillforge-demo-plugin\nVersion: 0.1.0\n",
    "entry_points.txt": f"[skillforge]\ndemo = {PLUGIN}\n",
    "top_level.txt": f"{PLUGIN}\n",
}

SAMPLE = """DEMO-LOG v1
task: Build the project
$ make
! fatal error: foo.h: No such file or directory
$ apt-get install -y libfoo-dev
Setting up libfoo-dev
$ make
build ok
"""

Run = Callable[..., "tuple[int, str]"]


def write_plugin(site: Path, *, entry_point: bool) -> None:
    """The plugin package in ``site``; with ``entry_point`` also its dist-info, as pip installs it."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{PLUGIN}.py").write_text(PLUGIN_SOURCE, encoding="utf-8")
    if entry_point:
        dist = site / "skillforge_demo_plugin-0.1.0.dist-info"
        dist.mkdir()
        for name, text in DIST_INFO.items():
            (dist / name).write_text(text, encoding="utf-8")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    (home / ".demo-agent").mkdir(parents=True)  # the demo agent is "installed" here
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture
def unloaded(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The plugin module is imported fresh, and whatever this test registers is gone afterwards."""
    before = {name for name, _ in plugins.pm.list_name_plugin()}
    yield
    for name, plugin in plugins.pm.list_name_plugin():
        if name not in before:
            plugins.pm.unregister(plugin, name=name)
    sys.modules.pop(PLUGIN, None)


def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"  # beside HOME, so `hosts` shows global folders as ~/...
    folder.mkdir()
    return folder


def in_process(cwd: Path) -> Run:
    def run(*args: str) -> tuple[int, str]:
        old = Path.cwd()
        os.chdir(cwd)
        try:
            result = CliRunner().invoke(cli, list(args))
        finally:
            os.chdir(old)
        return result.exit_code, result.output

    return run


def check_plugin_works(run: Run, tmp_path: Path, home: Path) -> None:
    """What a user of the plugin sees: its format read by content, its host listed and installed into."""
    sample = tmp_path / "runs" / "session.log"
    sample.parent.mkdir(exist_ok=True)
    sample.write_text(SAMPLE, encoding="utf-8")

    code, out = run("inspect", str(sample))
    assert code == 0, out
    row = next(line for line in out.splitlines() if "session.log" in line)
    # format, traces, steps (1 task + 3 calls + 3 results), tool calls, failed tool calls
    assert row.split()[1:6] == ["demo-log", "1", "7", "3", "1"], out

    code, out = run("inspect", "--format", "no-such-format", str(sample))
    assert code != 0 and "demo-log" in out, out  # the plugin's format is among the choices
    code, out = run("inspect", "--format", "demo-log", str(sample))
    assert code == 0 and "demo-log" in out, out

    # The plugin's analyzer is chosen by name; the pipeline counts what it read.
    code, out = run("distill", str(sample), "-o", str(tmp_path / "skills"), "--no-publish", "--json",
                    "--analyzer", "echo")
    assert code == 0, out
    report = json.loads(out[out.index("{"):])
    assert report["analyzer"] == "echo" and report["traces_by_format"] == {"demo-log": 1}, out
    code, out = run("distill", str(sample), "-o", str(tmp_path / "skills"), "--analyzer", "nope")
    assert code != 0 and "unknown analyzer 'nope'" in out and "echo" in out, out

    code, out = run("hosts")
    assert code == 0, out
    row = next(line for line in out.splitlines() if line.startswith("demo-agent"))
    assert "yes" in row and "~/.demo-agent/skills" in row, out

    skill = write_skill_folder(
        tmp_path / "src" / "make-builds",
        skill_md("make-builds", "Fix failing make builds. Use when make stops on a missing header.",
                 "\n# make-builds\n\n1. Install the -dev package that provides the missing header.\n"),
    )
    code, out = run("install", str(skill), "--host", "demo-agent", "--global")
    assert code == 0, out
    installed = home / ".demo-agent" / "skills" / "make-builds" / "SKILL.md"
    assert installed.read_text(encoding="utf-8") == (skill / "SKILL.md").read_text(encoding="utf-8")
    code, out = run("installed", "--global")
    assert code == 0 and "make-builds" in out and "demo-agent" in out, out


def test_a_plugin_registered_with_pluggy_adds_a_format_and_a_host(
    tmp_path: Path, home: Path, unloaded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    write_plugin(site, entry_point=False)
    monkeypatch.syspath_prepend(str(site))
    plugins.pm.register(importlib.import_module(PLUGIN), name="demo")
    check_plugin_works(in_process(project(tmp_path)), tmp_path, home)
    assert [item.value for item in complete_formats("demo")] == ["demo-log"]  # shell completion of --format
    assert plugins.get_analyzer("echo").name == "echo"
    assert list(plugins.analyzers()) == ["heuristic", "echo"]


def test_a_plugin_installed_with_an_entry_point_is_loaded(
    tmp_path: Path, home: Path, unloaded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    write_plugin(site, entry_point=True)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(plugins, "_loaded", False)  # look for entry points again, now that one is installed
    assert "demo-log" in plugins.readers()
    assert isinstance(plugins.pm.get_plugin("demo"), ModuleType)
    check_plugin_works(in_process(project(tmp_path)), tmp_path, home)


@pytest.mark.slow  # two fresh processes: ~5 s on a loaded machine
def test_the_skillforge_command_loads_an_installed_plugin(tmp_path: Path) -> None:
    """The console command in a fresh process: nothing registers the plugin but its entry point."""
    site = tmp_path / "site"
    write_plugin(site, entry_point=True)
    home = tmp_path / "home"
    (home / ".demo-agent").mkdir(parents=True)
    env = {**os.environ, "HOME": str(home), "PYTHONPATH": str(site)}

    def run(*args: str) -> tuple[int, str]:
        done = subprocess.run([sys.executable, "-m", "skillforge", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, check=False)
        return done.returncode, done.stdout + done.stderr

    sample = tmp_path / "session.log"
    sample.write_text(SAMPLE, encoding="utf-8")
    code, out = run("inspect", str(sample))
    assert code == 0 and "demo-log" in out, out
    code, out = run("hosts")
    assert code == 0 and "demo-agent" in out, out


def test_a_plugin_that_fails_to_import_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    dist = site / "skillforge_broken-0.1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: skillforge-broken\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text("[skillforge]\nbroken = skillforge_broken_missing_module\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(plugins, "_loaded", False)
    with pytest.raises(InputError, match="plugin 'broken'.*failed to load") as err:
        plugins.readers()
    assert "skillforge-broken" in (err.value.hint or "")


def test_analyzers_by_name() -> None:
    assert plugins.get_analyzer("heuristic").name == "heuristic"
    with pytest.raises(InputError, match="unknown analyzer 'nope'") as err:
        plugins.get_analyzer("nope")
    assert "heuristic" in (err.value.hint or "")


def test_registries_are_built_once_and_rebuilt_when_a_plugin_comes_or_goes(unloaded: None) -> None:
    from skillforge.hookspecs import hookimpl
    from skillforge.hosts.base import HostAdapter
    from skillforge.hosts.table import load_table

    assert plugins.hosts()["claude-code"] is plugins.hosts()["claude-code"]  # no fresh adapters per lookup

    class ExtraHost:
        @hookimpl
        def register_hosts(self, register: Callable[[HostAdapter], None]) -> None:
            spec = load_table().hosts[0].model_copy(update={"name": "extra-agent"})
            register(HostAdapter(spec))

    extra = ExtraHost()
    plugins.pm.register(extra, name="extra-host")
    assert list(plugins.hosts())[-1] == "extra-agent"
    plugins.pm.unregister(extra, name="extra-host")
    assert "extra-agent" not in plugins.hosts()


def test_an_unknown_adapter_in_the_host_table_is_an_error_naming_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    from skillforge.errors import SpecError
    from skillforge.hosts import table

    real = table.load_table()
    broken = real.model_copy(update={"hosts": [real.hosts[0].model_copy(update={"adapter": "no_such_adapter"})]})
    monkeypatch.setattr(table, "load_table", lambda: broken)
    monkeypatch.setattr(plugins, "_registries", {})
    with pytest.raises(SpecError, match=f"host {real.hosts[0].name!r} .* unknown adapter 'no_such_adapter'") as err:
        plugins.hosts()
    assert "agents_md" in (err.value.hint or "")
