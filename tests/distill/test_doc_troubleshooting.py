"""Troubleshooting pages of other domains (a database operator, a CI runner): informational sections are
procedures, not error fixes; sub-sections of "Known issues" are symptoms with their fix; "Output:" blocks
are evidence; tool lists, declarative items, pointers and bare "…:" leads are not steps."""

from __future__ import annotations

import re
from pathlib import Path

from skillforge.distill.heuristic.abstract import abstract
from skillforge.distill.heuristic.actions import command_family
from skillforge.distill.heuristic.doc_lessons import doc_digest, doc_lessons
from skillforge.distill.heuristic.doc_steps import instruction
from skillforge.ingest import read_file
from skillforge.models import Lesson, Trace

QUALITY2 = Path(__file__).parent.parent / "data" / "quality2" / "documents"

PAGE = """# Troubleshooting

## Before you start

Make sure you know:

- the Kubernetes distribution and version you are using
- the specifications of the nodes

### Useful utilities

- [`jq`](https://jqlang.github.io/jq/), a lightweight command-line JSON processor
- [`grep`](https://www.gnu.org/software/grep/), searches input files for lines matching a pattern

## First steps

1. the status subcommand provides an overview of a cluster
2. the report subcommand provides the manifests for clusters

## Cluster information

Check the status of the cluster with:

```shell
kubectl get cluster -n <NAMESPACE> <CLUSTER>
```

Output:

```shell
NAME        AGE    INSTANCES   READY   STATUS
<CLUSTER>   10d    3           3       Cluster in healthy state
```

## Some known issues

### Storage is full

If you see messages in the logs about the disk being full, you should increase the size of the affected PVC.

### Replicas take over two minutes to reconnect

For more details, consult the kernel documentation.
You can work around this issue by setting `STANDBY_TCP_USER_TIMEOUT` in the operator configuration.
"""


def _lessons(path: Path) -> list[Lesson]:
    traces = [t for t in read_file(path) if isinstance(t, Trace)]
    return doc_lessons([doc_digest(t) for t in traces])


def _first(lesson: Lesson) -> str:
    return lesson.body.split("\n", 1)[0]


def test_known_issues_are_fixes_and_information_sections_are_procedures(tmp_path: Path) -> None:
    path = tmp_path / "dbop_troubleshooting.md"
    path.write_text(PAGE, encoding="utf-8")
    lessons = _lessons(path)
    rules = {_first(l): l for l in lessons}
    # no rule is built from a heading that names no problem ("When working with cluster information")
    assert not any("working with" in r for r in rules), rules
    recoveries = [r for r, l in rules.items() if l.kind == "recovery"]
    assert "When storage is full, if you see messages in the logs about the disk being full, increase the size " \
           "of the affected PVC." in recoveries
    # a pointer is not the fix; the fix told as a means is the order
    assert "When replicas take over two minutes to reconnect, set `STANDBY_TCP_USER_TIMEOUT` in the operator " \
           "configuration." in recoveries
    cluster = next(l for l in lessons if "Cluster information" in l.title)
    assert cluster.kind == "procedure"
    assert "Cluster in healthy state" not in cluster.body.split("Expected output:")[0]  # output is no step
    text = "\n".join(l.body for l in lessons)
    # A lead to a list of facts is no step on its own ("Make sure you know:"); with the facts folded in it is one.
    assert not re.search(r"(?i)make sure you know:?\s*(?:$|\n)", text)
    if "make sure you know" in text.lower():
        assert "the kubernetes distribution and version you are using" in text.lower()
    assert "searches input files" not in text  # a tool list describes tools
    assert "status subcommand provides" not in text  # a declarative numbered item is not a step


def test_imperative_headings_lead_procedures_not_symptoms() -> None:
    lessons = _lessons(QUALITY2 / "actions-runner_network.md") + _lessons(QUALITY2 / "actions-runner_git.md")
    firsts = [_first(l) for l in lessons]
    assert not any(f.startswith(("When you hit identify", "For check")) for f in firsts), firsts
    assert any(f.startswith("To identify and solve these problems") for f in firsts)


def test_real_database_troubleshooting_page_keeps_its_fixes() -> None:
    lessons = _lessons(QUALITY2 / "cloudnative-pg_troubleshooting.md")
    recoveries = [_first(l) for l in lessons if l.kind == "recovery"]
    assert any(r.startswith("When storage is full,") for r in recoveries)
    assert any(r.startswith("When pods are stuck in `Pending` state,") for r in recoveries)
    assert not any(re.match(r"When (?:working with|you hit (?:logs|node information))", r) for r in recoveries)
    for lesson in lessons:
        assert not re.search(r"(?m)^\d+\. Output:?$", lesson.body)


def test_pointers_and_tool_descriptions_are_not_instructions() -> None:
    assert instruction("For more information, check the PostgreSQL bug report.") is None
    assert instruction("`jq`, a lightweight JSON processor") is None
    assert instruction("You can fix this by increasing the volume size.") == "Increase the volume size."


def test_banner_commands_in_a_chain_do_not_name_the_family() -> None:
    assert command_family('echo "building" && ponyc packages/cli') == "ponyc"
    assert command_family("mkdir -p build && cmake ..") == "cmake"
    assert command_family("echo hello") == "echo"


def test_per_instance_work_folders_become_placeholders() -> None:
    assert abstract("bash: ./ponylang__ponyc__0.1/ponyc: No such file or directory") == \
        "bash: {path}: No such file or directory"
    assert abstract("from __future__ import annotations in src/__init__.py") == \
        "from __future__ import annotations in src/__init__.py"
