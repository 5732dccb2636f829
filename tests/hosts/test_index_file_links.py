"""The AGENTS.md index is a file of the project: a symlink out of the project is never read or rewritten.

Red-team finding: a project (a cloned repository) whose ``AGENTS.md`` was a symlink to
``~/.ssh/id_rsa``; ``skillforge install X --host agents-md`` read the key through the link, added its
skills section and wrote the result over the link as a plain file, so the private key sat in the
project's AGENTS.md, the file every agent loads into its context (and one ``git add`` from a push).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from skillforge.errors import HostError
from skillforge.hosts import install

SECRET = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"


@pytest.mark.parametrize("dangling", [False, True])
def test_an_agents_md_linked_out_of_the_project_is_refused(
    tmp_path: Path, project: Path, make_skill, dangling: bool
) -> None:
    key = tmp_path / "dot-ssh/id_rsa"
    key.parent.mkdir()
    if not dangling:
        key.write_text(SECRET)
    os.symlink(key, project / "AGENTS.md")
    with pytest.raises(HostError, match="AGENTS.md .*outside the project"):
        install(str(make_skill()), hosts=["agents-md"], project=project)
    assert (project / "AGENTS.md").is_symlink(), "the link is left as it was"
    assert not (project / ".skillforge/skills/pdf-tools").exists()
    assert not dangling or not key.exists(), "nothing is written through a dangling link either"
    for path in project.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert "PRIVATE KEY" not in path.read_text(errors="replace"), path


def test_an_agents_md_linked_inside_the_project_still_gets_its_section(project: Path, make_skill) -> None:
    (project / "CLAUDE.md").write_text("# House rules\n")
    os.symlink("CLAUDE.md", project / "AGENTS.md")
    install(str(make_skill()), hosts=["agents-md"], project=project)
    text = (project / "AGENTS.md").read_text()
    assert text.startswith("# House rules\n") and "pdf-tools" in text
