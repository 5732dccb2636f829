from __future__ import annotations

import json
import re
from pathlib import Path

from skillforge.ingest import detect, read_file
from skillforge.models import Skipped, Trace

DATA = Path(__file__).parent.parent / "data"
DOCS = DATA / "samples" / "documents"
FIXTURES = DATA / "fixtures" / "documents"


def _doc(path: Path) -> Trace:
    got = [t for t in read_file(path) if isinstance(t, Trace)]
    assert len(got) == 1
    return got[0]


def _headings(trace: Trace) -> list[str]:
    return [s.text.split("\n", 1)[0] for s in trace.steps]


def test_hugo_runbook_front_matter_becomes_metadata() -> None:
    doc = _doc(DOCS / "runbook_KubeNodeNotReady.md")
    assert doc.kind == "document" and doc.source.format == "markdown"
    assert doc.task == "Kube Node Not Ready"  # Hugo front matter title wins over the H1
    assert doc.metadata == {"title": "Kube Node Not Ready", "weight": 20}
    assert _headings(doc) == ["## Meaning", "## Impact", "## Diagnosis", "## Mitigation"]
    assert all(s.role == "user" for s in doc.steps)
    assert doc.outcome.success is None
    assert not any("weight: 20" in s.text for s in doc.steps)
    diagnosis = doc.steps[2].text
    assert "```shell\n$ kubectl get node $NODE -o yaml\n```" in diagnosis


def test_subheadings_stay_inside_their_section() -> None:
    doc = _doc(DOCS / "runbook_etcdNoLeader.md")
    assert doc.task == "etcdNoLeader"  # no front matter: the lone H1
    assert _headings(doc) == ["## Meaning", "## Impact", "## Diagnosis", "## Mitigation"]
    assert "### Slow disk issue" in doc.steps[2].text
    assert "### Other" in doc.steps[2].text


def test_headings_inside_code_fences_do_not_split() -> None:
    doc = _doc(DOCS / "runbooks_add-runbook.md")
    assert _headings(doc) == ["## How?", "## Template"]
    template = doc.steps[1].text
    # The runbook template in the fenced block keeps its own headings as text.
    assert "# NodeFilesystemSpaceFillingUp\n\n## Meaning" in template
    assert doc.metadata["menu"] == {"after": {"weight": -100}}


def test_intro_before_the_first_section_is_kept_under_the_title() -> None:
    doc = _doc(DOCS / "ccusage_CONTRIBUTING.md")
    assert doc.task == "Contributing to ccusage"
    assert doc.steps[0].text == "# Contributing to ccusage\n\nThis guide exists to save maintainers and contributors time."
    assert _headings(doc)[1:] == [
        "## The One Rule",
        "## Contribution Gate",
        "## Quality Bar For Issues",
        "## Before Submitting a PR",
        "## FAQ",
    ]


def test_mkdocs_admonitions_includes_and_details() -> None:
    doc = _doc(DOCS / "swe-agent_installation_source.md")
    text = doc.steps[0].text
    assert "!!!" not in text
    assert '> **Tip: Installation tips**\n> * If you run into docker issues' in text
    assert "include-markdown" not in text
    assert doc.metadata["includes"] == ["../_footer.md"]
    assert "**Command not found?**" in text and "<summary>" not in text
    assert "You might also try `python -m sweagent`" in text

    contributing = _doc(DOCS / "mini-swe-agent_contributing.md")
    assert contributing.metadata["includes"] == ["_footer.md"]
    assert contributing.task == "❤️ Contributing"


def test_html_page_drops_site_chrome() -> None:
    path = FIXTURES / "runbook_etcdNoLeader.html"
    reader, _, _ = detect(path)
    assert reader is not None and reader.name == "html"
    doc = _doc(path)
    assert doc.task == "etcdNoLeader"
    assert doc.metadata["page_title"] == "etcdNoLeader | kube-prometheus runbooks"
    assert doc.metadata["description"] == "Runbook for the etcdNoLeader alert"
    assert _headings(doc) == ["## Meaning", "## Impact", "## Diagnosis", "## Mitigation"]
    everything = "\n".join(s.text for s in doc.steps)
    for noise in ("gtag", "book-menu", "alertmanager", "Edit this page", "hljs", "TableOfContents"):
        assert noise not in everything
    assert "```\n$ kubectl -n openshift-etcd logs etcd-master-0 -c etcd | grep -i leader\netcdserver: no leader\n```" in everything
    assert "2. Remove the members that cannot rejoin: `etcdctl member remove <ID>`." in doc.steps[3].text
    assert "[disaster-recovery](https://docs.openshift.com/" in doc.steps[3].text
    # Same runbook, same sections as the markdown original.
    markdown = _doc(DOCS / "runbook_etcdNoLeader.md")
    assert _headings(markdown) == _headings(doc)


def test_plain_text_with_underlined_headings() -> None:
    path = FIXTURES / "disk_full_procedure.txt"
    reader, _, _ = detect(path)
    assert reader is not None and reader.name == "text"
    doc = _doc(path)
    assert doc.task == "Disk Full on Build Agents"
    assert _headings(doc) == ["# Disk Full on Build Agents", "## Symptoms", "## Diagnosis", "## Fix", "## Prevention"]
    assert "    docker system prune --all --force --filter \"until=72h\"" in doc.steps[3].text


def test_plain_text_paragraphs_keep_a_list_with_its_lead_in(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text(
        "Rotating the signing key\n\n"
        "The signing key expires every 90 days and builds fail the day after.\n\n"
        "To rotate it:\n\n"
        "1. Generate a new key with keygen --ed25519.\n"
        "2. Upload it to the vault under ci/signing.\n\n"
        "Old keys stay valid for a week.\n"
    )
    doc = _doc(path)
    assert doc.task == "Rotating the signing key"
    assert [s.text for s in doc.steps] == [
        "The signing key expires every 90 days and builds fail the day after.",
        "To rotate it:\n\n1. Generate a new key with keygen --ed25519.\n2. Upload it to the vault under ci/signing.",
        "Old keys stay valid for a week.",
    ]


def test_detection_goes_by_content_not_name(tmp_path: Path) -> None:
    json_in_md = tmp_path / "notes.md"
    json_in_md.write_text(json.dumps({"tickets": [{"id": 1, "subject": "Broken", "status": "open"}]}))
    markdown_in_txt = tmp_path / "howto.txt"
    markdown_in_txt.write_text("# Deploy\n\n## Steps\n\n- build\n- push\n\n```sh\nmake deploy\n```\n")
    html_no_suffix = tmp_path / "page"
    html_no_suffix.write_text("<!DOCTYPE html><html><body><h1>Hi</h1><p>Text here.</p></body></html>")
    python = tmp_path / "tool.py"
    python.write_text("# A comment\nimport os\n\n\ndef main():\n    return os.getcwd()\n")

    def name(path: Path) -> str | None:
        reader, _, _ = detect(path)
        return reader.name if reader else None

    assert name(json_in_md) == "tickets-json"
    assert name(markdown_in_txt) == "markdown"
    assert name(html_no_suffix) == "html"
    assert name(python) is None  # source code is not a document
    assert name(DATA / "fixtures" / "tickets" / "helpdesk_export.csv") == "tickets-csv"


def test_setext_headings_and_front_matter_only(tmp_path: Path) -> None:
    setext = tmp_path / "guide.md"
    setext.write_text("Guide\n=====\n\nIntro text.\n\nInstall\n-------\n\nRun pip install.\n")
    doc = _doc(setext)
    assert doc.task == "Guide"
    assert [s.text for s in doc.steps] == ["# Guide\n\nIntro text.", "## Install\n\nRun pip install."]

    empty = tmp_path / "stub.md"
    empty.write_text("---\ntitle: Stub\n---\n")
    got = list(read_file(empty))
    assert len(got) == 1 and isinstance(got[0], Skipped) and got[0].reason == "markdown: no text to read"


RST = """==========================
How to contribute to Acme
==========================

Running the tests
-----------------

You probably want a `virtual
environment <https://docs.python.org/3/library/venv.html>`_ first.

The minimal requirement is ``pytest``. You can install it with::

    pip install pytest

Run the suite with:

.. code-block:: bash

   pytest -q tests/

.. note:: A large part of the suite is skipped without the extras; see :ref:`extras <extras>`.

Check the :func:`acme.setup` docstring for the options.
"""


def test_restructuredtext_reads_as_the_markdown_it_means(tmp_path: Path) -> None:
    path = tmp_path / "CONTRIBUTING.rst"
    path.write_text(RST, encoding="utf-8")
    doc = _doc(path)
    text = "\n".join(s.text for s in doc.steps)
    assert "[virtual environment](https://docs.python.org/3/library/venv.html)" in text  # a link across lines
    assert "The minimal requirement is `pytest`. You can install it with:\n\n```\npip install pytest\n```" in text
    assert "```bash\npytest -q tests/\n```" in text  # the code-block directive
    assert "Note: A large part of the suite is skipped without the extras; see `extras`." in text
    assert "Check the `acme.setup` docstring" in text
    assert "::" not in text and "`_" not in text and not re.search(r"(?<!`)``(?!`)", text)
