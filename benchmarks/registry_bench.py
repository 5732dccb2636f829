"""Registry benchmark: a big registry built fast, then queried and written through the real API.

    python benchmarks/registry_bench.py                      # 1,000 skills x 20 versions, 8 x 50 publishes
    python benchmarks/registry_bench.py --skills 100 --versions 5 --procs 4 --publishes 10

The registry is built with ``git fast-import`` (commits, annotated tags and version records in
exactly the layout ``skillforge.registry`` writes), then every figure below goes through
``skillforge.registry.Registry`` (and, for the CLI column, a fresh ``skillforge`` process).
Targets from the issue: log, show, diff, list < 1 s each; publish of a small skill < 0.5 s;
N processes x M publishes end with every version present, no duplicate or lost tag, fsck clean.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from skillforge.models.registry import VersionRecord
from skillforge.registry import layout, open_registry, worktree

IDENT = "Bench Author <bench@example.com>"
BASE_TS = 1_700_000_000


def skill_md(name: str, version: int) -> str:
    return (
        f"---\nname: {name}\ndescription: Benchmark skill {name}. Use when measuring the registry.\n"
        f"metadata:\n  tags: bench, group-{hash(name) % 7}\n---\n# {name}\n\n"
        + "".join(f"{i}. Step {i} of revision {version}: do the thing carefully.\n" for i in range(1, 30))
    )


def build(path: Path, skills: int, versions: int) -> float:
    """Write ``skills`` x ``versions`` version commits + annotated tags with ``git fast-import``."""
    started = time.perf_counter()
    subprocess.run(["git", "init", "-q", "--initial-branch=main", str(path)], check=True)
    proc = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=path, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    write = proc.stdin.write

    def data(text: str) -> None:
        raw = text.encode()
        write(b"data %d\n" % len(raw) + raw + b"\n")

    mark = 0
    names = [f"skill-{i:04d}" for i in range(skills)]
    for v in range(versions):
        version = f"1.0.{v}"
        for name in names:
            mark += 1
            ts = BASE_TS + mark
            record = VersionRecord(
                name=name,
                version=version,
                message=f"revision {v}",
                changelog=[f"revise {name} to {v}"],
                previous=f"1.0.{v - 1}" if v else None,
            )
            message = layout.record_message(record)
            write(
                f"commit refs/heads/main\nmark :{mark}\nauthor {IDENT} {ts} +0000\ncommitter {IDENT} {ts} +0000\n".encode()
            )
            data(message)
            if mark == 1:
                write(b"M 100644 inline registry.json\n")
                data(layout.MARKER_CONTENT)
            write(f"M 100644 inline skills/{name}/SKILL.md\n".encode())
            data(skill_md(name, v))
            write(f"M 100644 inline skills/{name}/references/notes.md\n".encode())
            data(f"notes for {name}, revision {v}\n" * 5)
            write(f"tag {name}@{version}\nfrom :{mark}\ntagger {IDENT} {ts} +0000\n".encode())
            data(message)
    write(b"done\n")
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "pack-refs", "--all"], cwd=path, check=True)
    reg = open_registry(path)
    reg.init()  # adopts the repository: skillforge's git settings
    repo = reg._open(create=True)
    assert repo is not None
    worktree.refresh(repo)
    reg.close()
    return time.perf_counter() - started


def timed(fn, repeat: int = 5) -> tuple[float, float]:
    """(first call, median of the rest) in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times[0], statistics.median(times[1:] or times)


def cli(path: Path, *args: str) -> float:
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "skillforge", *args, "--registry", str(path)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t


WORKER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from skillforge.registry import open_registry
    registry, worker, count, scratch = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
    reg = open_registry(registry, lock_timeout=600)
    for i in range(count):
        name = "skill-0000" if i % 2 == 0 else f"skill-{worker + 1:04d}"
        folder = scratch / f"w{worker}-{i}" / name
        folder.mkdir(parents=True)
        (folder / "SKILL.md").write_text(
            f"---\\nname: {name}\\ndescription: Concurrent write. Use when benchmarking.\\n---\\n# {name}\\n\\n"
            f"worker {worker} round {i}\\n")
        r = reg.publish(folder, message=f"w{worker} r{i}")
        print(f"{r.name}@{r.version}", flush=True)
""")


def concurrent(path: Path, scratch: Path, procs: int, publishes: int) -> dict[str, object]:
    tags_before = set(subprocess.run(["git", "tag"], cwd=path, capture_output=True, text=True).stdout.split())
    started = time.perf_counter()
    running = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(path), str(w), str(publishes), str(scratch)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for w in range(procs)
    ]
    printed = []
    for proc in running:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"publisher failed with exit code {proc.returncode}")
        printed += out.split()
    elapsed = time.perf_counter() - started
    tags_after = subprocess.run(["git", "tag"], cwd=path, capture_output=True, text=True).stdout.split()
    new = set(tags_after) - tags_before
    t = time.perf_counter()
    fsck = subprocess.run(
        ["git", "fsck", "--no-dangling", "--no-progress"], cwd=path, capture_output=True, text=True
    )
    fsck_s = time.perf_counter() - t
    report = open_registry(path).fsck(full=False)
    return {
        "elapsed": elapsed,
        "published": len(printed),
        "unique": len(set(printed)),
        "new_tags": len(new),
        "lost": sorted(set(printed) - new)[:5],
        "duplicate_tags": len(tags_after) - len(set(tags_after)),
        "git_fsck_clean": fsck.returncode == 0 and not fsck.stdout.strip(),
        "git_fsck_s": fsck_s,
        "registry_fsck_findings": [f.kind for f in report.findings],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--skills", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--procs", type=int, default=8)
    parser.add_argument("--publishes", type=int, default=50)
    parser.add_argument(
        "--workdir", type=Path, default=None, help="keep the registry here (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("GIT_AUTHOR_NAME", "Bench Author")
    os.environ.setdefault("GIT_AUTHOR_EMAIL", "bench@example.com")
    os.environ.setdefault("GIT_COMMITTER_NAME", "Bench Author")
    os.environ.setdefault("GIT_COMMITTER_EMAIL", "bench@example.com")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="skillforge-bench-"))
    path = work / "registry"
    if path.exists():
        shutil.rmtree(path)
    rng = random.Random(7)
    fails = []

    def row(label: str, seconds: float, target: float | None) -> None:
        ok = target is None or seconds < target
        if not ok:
            fails.append(label)
        mark = "" if target is None else (" ok" if ok else " SLOW")
        print(
            f"  {label:<46} {seconds * 1000:9.1f} ms"
            + (f"   (target < {target * 1000:.0f} ms){mark}" if target else "")
        )

    print(f"building {args.skills} skills x {args.versions} versions with git fast-import ...", flush=True)
    print(f"  built in {build(path, args.skills, args.versions):.1f} s at {path}")
    reg = open_registry(path)
    name = f"skill-{rng.randrange(args.skills):04d}"
    last = f"1.0.{args.versions - 1}"
    first_v, mid_v = "1.0.0", f"1.0.{args.versions // 2}"

    print("library API (Registry), first call / median of the next 4:")
    cold, warm = timed(reg.skills)
    row("skills() first call (index built from git)", cold, 1.0)
    row("skills() with a current index", warm, 1.0)
    cold, warm = timed(lambda: reg.versions(name))
    row(f"versions({name}) = log", warm, 1.0)
    cold, warm = timed(lambda: reg.read_file(name, mid_v))
    row(f"read_file({name}, {mid_v}) = show", warm, 1.0)
    cold, warm = timed(lambda: reg.diff(name, first_v, last))
    row(f"diff({name}, {first_v}, {last})", warm, 1.0)
    assert len(reg.skills()) == args.skills and len(reg.versions(name)) == args.versions

    scratch = work / "scratch"
    times = []
    for i in range(5):
        folder = scratch / f"single-{i}" / name
        folder.mkdir(parents=True)
        (folder / "SKILL.md").write_text(skill_md(name, 1000 + i))
        fresh = open_registry(path)
        t = time.perf_counter()
        result = fresh.publish(folder, message="bench publish")
        times.append(time.perf_counter() - t)
        fresh.close()
        assert result.created
    row("publish() small skill, fresh Registry (median of 5)", statistics.median(times), 0.5)
    cold, warm = timed(reg.skills)
    row("skills() after those publishes (incremental index)", cold, 1.0)

    print("CLI, one fresh `python -m skillforge` process each (includes interpreter start-up):")
    row(f"skillforge log {name}", cli(path, "log", name), None)
    row(f"skillforge show {name}@{mid_v}", cli(path, "show", f"{name}@{mid_v}"), None)
    row(f"skillforge diff {name} {first_v} {last}", cli(path, "diff", name, first_v, last), None)
    row("skillforge list", cli(path, "list"), None)

    total = args.procs * args.publishes
    print(f"{args.procs} processes x {args.publishes} publishes to the same registry ...", flush=True)
    result = concurrent(path, scratch / "concurrent", args.procs, args.publishes)
    print(
        f"  {result['published']} publishes in {result['elapsed']:.1f} s "
        f"({result['elapsed'] / max(1, total) * 1000:.0f} ms each, serialised by the lock)"
    )
    print(
        f"  new tags: {result['new_tags']} / {total}; unique: {result['unique']}; lost: {result['lost'] or 'none'}; "
        f"duplicate tags: {result['duplicate_tags']}"
    )
    print(
        f"  git fsck clean: {result['git_fsck_clean']} ({result['git_fsck_s']:.1f} s); "
        f"registry fsck findings: {result['registry_fsck_findings'] or 'none'}"
    )
    if not (
        result["new_tags"] == result["unique"] == total
        and result["git_fsck_clean"]
        and not result["registry_fsck_findings"]
        and not result["duplicate_tags"]
    ):
        fails.append("concurrency")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    print("result: " + ("all targets met" if not fails else "MISSED: " + ", ".join(fails)))
    return 1 if fails else 0


if __name__ == "__main__":
    raise SystemExit(main())
