"""Document lessons on kinds of pages the analyzer was not written against: troubleshooting pages with
error/fix pairs, runbooks of other projects, install guides with a code block per step."""

from __future__ import annotations

import re
from pathlib import Path

from skillforge.distill.heuristic.doc_lessons import doc_digest, doc_lessons
from skillforge.ingest import read_file
from skillforge.models import Lesson, Trace
from skillforge.skills.rules import tag

QUALITY = Path(__file__).parent.parent / "data" / "quality" / "documents"


def _lessons(*paths: Path) -> list[Lesson]:
    traces = [t for p in paths for t in read_file(p) if isinstance(t, Trace)]
    return doc_lessons(sorted((doc_digest(t) for t in traces), key=lambda d: d.source))


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _steps(body: str) -> list[str]:
    return re.findall(r"(?m)^\d+\. (.*)$", body)


TROUBLESHOOTING = """# Troubleshoot

## ImportError

Another common error you may encounter is `ImportError`:

```
Traceback (most recent call last):
  File "train.py", line 3, in <module>
    from transformers import ImageGPTImageProcessor
    raise e
ImportError: cannot import name 'ImageGPTImageProcessor' from 'transformers' (unknown location)
```

For these error types, check to make sure you have the latest version installed:

```bash
pip install transformers --upgrade
```

## How does caching work?

Models are cached in the home directory. Never delete it by hand while a download runs? It is shared.

## Exporter shows nothing

The console exporter prints spans like this:

```
Span: chat gpt-4o
Event: gen_ai.content.prompt
Attributes: {"gen_ai.system": "openai"}
```

If no span is printed, set `OTEL_TRACES_EXPORTER=console` and restart the service.
"""


def test_troubleshooting_keeps_the_fix_and_treats_tracebacks_as_evidence(tmp_path: Path) -> None:
    lessons = _lessons(_write(tmp_path, "acme_troubleshooting.md", TROUBLESHOOTING))
    fix = next(l for l in lessons if "ImportError" in l.body.split("\n", 1)[0])
    assert fix.kind == "recovery" and tag(fix, "section") == "recovery"
    first = fix.body.split("\n", 1)[0]
    assert first.startswith("When you see `ImportError`, check to make sure you have the latest version installed")
    assert "```bash\npip install transformers --upgrade\n```" in fix.body  # the fix command, fenced
    everything = "\n".join(l.body for l in lessons)
    assert "Run `raise e`" not in everything and not re.search(r"(?m)^\d+\. .*raise e", everything)
    assert not any(s.startswith(("Span:", "Event:", "Attributes:")) for l in lessons for s in _steps(l.body))
    assert "ImportError: cannot import name" in fix.body  # the error line stays, as evidence in the details
    spans = next(l for l in lessons if "OTEL_TRACES_EXPORTER" in l.body)
    assert "Span: chat" not in spans.body.split("\n", 1)[0]
    # A question heading is neither a procedure nor a guardrail.
    assert not any("caching" in l.title.lower() or l.body.rstrip().endswith("?") for l in lessons)


def test_question_heading_is_never_a_guardrail(tmp_path: Path) -> None:
    doc = "# FAQ\n\n## Should you never run as root?\n\nRunning as root is discouraged.\n\n## Setup\n\nNever run the agent as root, because it can delete system files.\n"
    lessons = _lessons(_write(tmp_path, "acme_faq.md", doc))
    guards = [l for l in lessons if l.kind == "guardrail"]
    assert [g.body for g in guards] == ["Never run the agent as root, because it can delete system files."]


def test_runbook_first_line_names_the_alert_and_first_diagnostic_action() -> None:
    lessons = _lessons(QUALITY / "etcdMembersDown.md", QUALITY / "VirtControllerDown.md")
    assert {l.target_skill for l in lessons} == {"kubernetes-alert-runbooks"}
    members = next(l for l in lessons if l.title == "etcdMembersDown runbook")
    first = members.body.split("\n", 1)[0]
    assert first.startswith("When **etcdMembersDown** fires (one or more etcd member goes down")
    assert "check health of master nodes" in first
    assert "```console\n$ etcdctl endpoint health -w table\n```" in members.body
    assert any(line.startswith("Impact: ") for line in members.body.split("\n"))  # depth goes to details
    virt = next(l for l in lessons if l.title == "VirtControllerDown runbook")
    steps = _steps(virt.body)
    assert "Check the status of the `virt-controller` deployment:" in steps
    # The indented fenced block inside a numbered step stays with that step, dedented.
    assert "deployment:\n```bash\n$ kubectl -n $NAMESPACE get deploy virt-controller -o yaml\n```" in virt.body
    assert any(s.startswith("CrashLoopBackOff: Check the pod logs") for s in steps)  # labelled cause -> its fix
    assert "keyword:virtcontrollerdown" in virt.tags


def test_install_guide_keeps_one_fenced_block_per_step() -> None:
    lessons = _lessons(QUALITY / "ollama_linux.mdx", QUALITY / "ollama_troubleshooting.mdx")
    assert {l.target_skill for l in lessons} == {"ollama-setup-and-troubleshooting"}
    service = next(l for l in lessons if "startup service" in l.title)
    # The steps follow in full, so the rule names the goal instead of running their first clauses together.
    assert service.body.split("\n", 2)[:2] == ["When adding Ollama as a startup service:",
                                               "1. Create a user and group for Ollama:"]
    assert "```ini\n[Unit]\nDescription=Ollama Service" in service.body  # config stays a block, not a step
    assert len(_steps(service.body)) == 3
    for lesson in lessons:
        assert not re.search(r"(?m)^\d+\. Run `[^`]+`$", lesson.body)
        assert lesson.body.count("```") % 2 == 0
    docker = next(l for l in lessons if "Linux docker" in l.title)
    assert docker.body.startswith("When ") and "native.cgroupdriver=cgroupfs" in docker.body


def test_code_blocks_are_not_split_into_steps(tmp_path: Path) -> None:
    doc = "# Deploy\n\n## Release\n\nBuild and push the image:\n\n```sh\nmake build\nmake push\n```\n\nThen roll out:\n\n```sh\nkubectl rollout restart deploy/web\n```\n"
    lesson = _lessons(_write(tmp_path, "acme_deploy.md", doc))[0]
    assert _steps(lesson.body) == ["Build and push the image:", "Roll out:"]
    assert "```sh\nmake build\nmake push\n```" in lesson.body


def test_a_one_step_procedure_is_said_once_and_a_cut_clause_never_dangles(tmp_path: Path) -> None:
    doc = ("# Contributing\n\n## Contribution gate\n\nStart with an issue before opening a PR. Keep it short.\n\n"
           "## Trust a CA certificate\n\nWith no lead sentence:\n\n"
           "- Save your SSL certificate chain which includes the root CA and all intermediate CAs into a `.pem` file.\n"
           "- Set `NODE_EXTRA_CA_CERTS` which point to the file. ex: `export NODE_EXTRA_CA_CERTS=/full/path/cacert.pem`\n")
    lessons = {l.title.split(": ", 1)[-1]: l.body for l in _lessons(_write(tmp_path, "acme_CONTRIBUTING.md", doc))}
    gate = lessons["Contribution gate"]
    assert gate == "For contribution gate, start with an issue before opening a PR. Keep it short."
    from skillforge.distill.heuristic.doc_steps import first_clause
    cut = first_clause("Save your SSL certificate chain which includes the root CA and all intermediate CAs into a "
                       "`.pem` file.")
    assert cut == "Save your SSL certificate chain which includes the root CA and all intermediate CAs"
    assert first_clause("Set the variable `NODE_EXTRA_CA_CERTS` to the file, ex: `export NODE_EXTRA_CA_CERTS=/full/"
                        "path/to/the/cacert.pem` or the other") == "Set the variable `NODE_EXTRA_CA_CERTS` to the file"


def test_a_must_not_inside_a_description_is_not_a_guardrail(tmp_path: Path) -> None:
    # A corpus README describing its files: "paths that must not reach rules" says what a file tests,
    # it orders the reader to do nothing. Only prohibitions aimed at the reader are guardrails.
    doc = (
        "# Test corpus\n\nWhat each file exercises:\n\n"
        "- `rollout.jsonl` — long Codex shell session on a TypeScript monorepo: `rg`/`sed` reads and edits, "
        "absolute `/Users/...` paths that must not reach rules.\n"
        "- `session.jsonl` — shorter session; one tool error; sprawl check (a short session must not become "
        "its own tiny skill).\n"
        "- `marshmallow.traj` — SWE-agent fixing a bug, which should never be listed as a file that matters.\n\n"
        "## Rules\n\n"
        "- Secrets must never be committed to the corpus.\n"
        "- You should not edit a trace by hand, because its line numbers are cited by tests.\n"
    )
    lessons = _lessons(_write(tmp_path, "corpus_README.md", doc))
    guards = sorted(l.body for l in lessons if l.kind == "guardrail")
    assert guards == [
        "Do not edit a trace by hand, because its line numbers are cited by tests.",
        "Secrets must never be committed to the corpus.",
    ]


RUNBOOK = """# AppCrashLooping

## Meaning

The app dies on start and the platform keeps restarting it.

## Diagnosis

- Check the pod via `kubectl -n $NAMESPACE get pod $POD`.
- Check its events via `kubectl -n $NAMESPACE describe pod $POD`.
- Check its logs via `kubectl -n $NAMESPACE logs $POD -c $CONTAINER`
- Check pod template parameters such as:
  - pod priority
  - readiness and liveness probes - wrong port or command

Other things to check:

- app waits for other services to start, such as database
- missing files such as configmaps/secrets/volumes
- read only filesystem

## Mitigation

Define sane default values to start the app.
"""


def test_a_runbook_keeps_every_check_and_folds_the_lists_that_detail_one(tmp_path: Path) -> None:
    from skillforge.skills.render import render_rules

    (lesson,) = _lessons(_write(tmp_path, "AppCrashLooping.md", RUNBOOK))
    shown = "\n".join(render_rules([lesson]))
    # `describe` after `get` shares the rule's words but runs another command: a step of its own.
    assert "1. Check its events via `kubectl -n $NAMESPACE describe pod $POD`." in shown
    assert "2. Check its logs via" in shown
    # A nested list details the item it hangs off; a list of causes after "Other things to check:" is one
    # step, and "read only filesystem" in it is a cause, not an order to read.
    assert "3. Check pod template parameters such as pod priority; readiness and liveness probes" in shown
    assert re.search(r"(?m)^  4\. Check for app waits for other services.*; read only filesystem$", shown)
    assert not re.search(r"(?m)^  \d+\. Read only filesystem", shown)


def test_a_step_about_it_keeps_the_sentence_that_says_what_it_is(tmp_path: Path) -> None:
    doc = ("# Contributing\n\n## Running the testsuite\n\nThe minimal requirement is `py.test`. You can install it "
           "with:\n\n```\npip install pytest\n```\n\nThen run the testsuite with:\n\n```\npy.test\n```\n")
    (lesson,) = _lessons(_write(tmp_path, "acme_CONTRIBUTING.md", doc))
    assert "1. The minimal requirement is `py.test`; install it with:" in lesson.body


def test_a_step_that_points_at_a_page_keeps_where_it_points(tmp_path: Path) -> None:
    doc = ("# Installation from source\n\n1. Clone the repository.\n2. Set up your language model of choice as "
           "explained [here](keys.md).\n3. If your component is specific, add it into an `extra` folder "
           "(like this one).\n")
    (lesson,) = _lessons(_write(tmp_path, "acme_installation.md", doc))
    assert "2. Set up your language model of choice as explained in `keys.md`." in lesson.body
    assert "3. If your component is specific, add it into an `extra` folder." in lesson.body


def test_a_runbook_says_what_its_alert_measures_or_nothing(tmp_path: Path) -> None:
    """prometheus-operator's runbooks open their Meaning two ways the rule missed: "The alert `X` is
    triggered when …" (the condition was dropped as too long) and "There can be various reasons why …"
    (which became the condition)."""
    reload = _write(tmp_path, "AlertmanagerFailedReload.md", (
        "# AlertmanagerFailedReload\n\n## Meaning\n\nThe alert `AlertmanagerFailedReload` is triggered when the "
        "Alertmanager instance for the cluster monitoring stack has consistently failed to reload its "
        "configuration for a certain period.\n\n## Diagnosis\n\nVerify if there is an error in "
        "`config-reloader` container logs.\n\n```bash\n$ kubectl logs sts/alertmanager-main -c config-reloader\n```\n"))
    volume = _write(tmp_path, "KubePersistentVolumeFillingUp.md", (
        "# KubePersistentVolumeFillingUp\n\n## Meaning\n\nThere can be various reasons why a volume is filling "
        "up.\n\n## Diagnosis\n\nCheck app usage in time.\n"))
    rules = {l.title: l.body.split("\n", 1)[0] for l in _lessons(reload, volume)}
    assert rules["AlertmanagerFailedReload runbook"].startswith(
        "When **AlertmanagerFailedReload** fires (the Alertmanager instance for the cluster monitoring stack has "
        "consistently failed to reload its configuration"), rules
    assert rules["KubePersistentVolumeFillingUp runbook"].startswith(
        "When **KubePersistentVolumeFillingUp** fires, check app usage in time"), rules


def test_a_fact_above_commands_becomes_an_order_to_run_them(tmp_path: Path) -> None:
    """uv's "## Linting": "Linting requires shellcheck and cargo-shear to be installed separately." above
    the commands was the whole rule ("When linting, linting requires …"): nothing said to run them."""
    guide = _write(tmp_path, "CONTRIBUTING.md", (
        "# Contributing\n\n## Linting\n\nLinting requires shellcheck and cargo-shear to be installed separately.\n\n"
        "```shell\ncargo clippy --workspace --all-targets --all-features --locked -- -D warnings\n"
        "uvx ruff check .\nshellcheck <script>\n```\n"))
    (lesson,) = [l for l in _lessons(guide) if l.kind == "procedure"]
    assert lesson.body.startswith("When linting, run the commands below; linting requires shellcheck"), lesson.body
    assert "cargo clippy" in lesson.body


def test_an_agents_md_checklist_keeps_its_orders_and_its_moment(tmp_path: Path) -> None:
    """pyenv's AGENTS.md: "Before committing:" then "1. Run the full Bats test suite: make test" — the
    "label: text" shape read as a definition dropped three of four steps, the shell globs lost their '*' as
    emphasis, and the rule was headed "When testing strategy"; "Build System: Makefile" is a field, no step."""
    guide = _write(tmp_path, "AGENTS.md", (
        "# AGENTS.md\n\n## Project Overview\n\nKey Info:\n- Build System: Makefile\n- Test Framework: Bats\n\n"
        "### Testing Strategy\n\nBefore committing:\n1. Run the full Bats test suite: make test\n"
        "2. Lint all shell scripts: shellcheck ./bin/* ./plugins/*/bin/*\n3. Verify scripts are executable: ls -la ./bin/\n"
        "4. Test locally to confirm behavior\n"))
    lessons = [l for l in _lessons(guide) if l.kind == "procedure"]
    (lesson,) = lessons
    assert lesson.body.split("\n") == [
        "Before committing:",
        "1. Run the full Bats test suite: `make test`",
        "2. Lint all shell scripts: `shellcheck ./bin/* ./plugins/*/bin/*`",
        "3. Verify scripts are executable: `ls -la ./bin/`",
        "4. Test locally to confirm behavior",
    ], lesson.body


def test_a_list_of_things_to_avoid_is_one_guardrail(tmp_path: Path) -> None:
    guide = _write(tmp_path, "AGENTS.md", (
        "# AGENTS.md\n\n### What We Avoid\n\n- Large functions doing multiple things\n- Commented-out dead code\n"
        "- Skipped tests or test TODOs\n\n### What We Value\n\n- Well-tested code with clear intent\n"
        "- Consistent code style\n"))
    guards = [l.body for l in _lessons(guide) if l.kind == "guardrail"]
    assert guards == ["Avoid large functions doing multiple things, commented-out dead code and skipped tests or "
                      "test TODOs."], guards  # what a project values is no prohibition


def test_an_agent_instructions_file_is_about_developing_the_project() -> None:
    from skillforge.distill.heuristic.doc_naming import doc_kind

    for stem in ("AGENTS", "CLAUDE", "GEMINI", "copilot-instructions"):
        assert doc_kind(stem, f"{stem}.md", ["Project Overview", "Initial Setup"]) == "development", stem
    assert doc_kind("notes", "Notes", ["Usage"]) == "usage"
