"""Several processes publishing to one registry at once: nothing lost, nothing duplicated, fsck clean."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from skillforge.registry import open_registry

WORKER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from skillforge.registry import open_registry

    registry, worker, count, scratch = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
    reg = open_registry(registry, lock_timeout=120)
    for i in range(count):
        # even rounds go to a skill every worker shares, odd rounds to this worker's own skill
        name = "shared" if i % 2 == 0 else f"own-{worker}"
        folder = scratch / f"w{worker}-{i}" / name
        folder.mkdir(parents=True)
        (folder / "SKILL.md").write_text(
            f"---\\nname: {name}\\ndescription: Test skill. Use when testing concurrency.\\n---\\n"
            f"# {name}\\n\\nwritten by worker {worker} round {i}\\n"
        )
        result = reg.publish(folder, message=f"worker {worker} round {i}")
        assert result.created, result
        print(f"{name}@{result.version} w{worker}r{i}", flush=True)
""")


def run_publishers(registry: Path, scratch: Path, workers: int, count: int) -> list[str]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(registry), str(w), str(count), str(scratch)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(workers)
    ]
    lines = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        lines += out.split()
    return lines


def test_four_processes_ten_publishes_each(tmp_path: Path, git) -> None:
    registry = tmp_path / "registry"
    printed = run_publishers(registry, tmp_path / "scratch", workers=4, count=10)
    published = printed[0::2]
    assert len(published) == len(set(published)) == 40

    reg = open_registry(registry)
    shared = reg.versions("shared")
    assert [v.version for v in reversed(shared)] == [f"0.1.{i}" for i in range(20)]
    for w in range(4):
        assert [v.version for v in reg.versions(f"own-{w}")] == ["0.1.4", "0.1.3", "0.1.2", "0.1.1", "0.1.0"]
    tags = git(registry, "tag", "--list").split()
    assert len(tags) == len(set(tags)) == 40
    assert sorted(tags) == sorted(published)
    # every tag holds exactly what the worker that printed it wrote
    for tag, who in zip(printed[0::2], printed[1::2], strict=True):
        name, version = tag.split("@")
        worker, round_ = who[1:].split("r")
        assert f"written by worker {worker} round {round_}\n" in reg.read_file(name, version)
        assert reg.version(name, version).message == f"worker {worker} round {round_}"
    assert git(registry, "rev-list", "--count", "main") == "40"
    subprocess.run(
        ["git", "fsck", "--strict", "--no-dangling"], cwd=registry, check=True, capture_output=True
    )
    assert reg.fsck().ok
    assert {s.name: s.versions for s in reg.skills()} == {
        "shared": 20,
        "own-0": 5,
        "own-1": 5,
        "own-2": 5,
        "own-3": 5,
    }
