"""How fast does ingest read a large Claude Code session, compared with bare ``json.loads`` per line?

    python benchmarks/ingest_throughput.py            # builds a ~300 MB session in a temp folder
    python benchmarks/ingest_throughput.py --mb 50    # smaller
    python benchmarks/ingest_throughput.py --input ~/.claude/projects/x/y.jsonl

The session is a real sample (tests/data/samples/claude_code_jsonl) repeated with fresh uuids and
message/tool ids, chained by ``parentUuid`` so it reads as one long conversation. Each measurement
runs in its own subprocess so its peak RSS is its own. Targets: ``inspect_paths`` within 3x of
the plain loop, peak RSS under 200 MB.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests/data/samples/claude_code_jsonl/projects/-src-experiments-claude_p/2b4ed4c0-b905-41de-9238-273db3ec737a.jsonl"
TARGET_RATIO = 3.0
TARGET_RSS_MB = 200
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_IDS = re.compile(r'"((?:msg|toolu|req)_[A-Za-z0-9]+)"')


def build(path: Path, megabytes: int) -> None:
    """Write ``megabytes`` of the sample session, repeated with renamed ids and chained by parentUuid."""
    lines = [ln for ln in SAMPLE.read_text(encoding="utf-8").splitlines() if ln.strip()]
    session_id = json.loads(lines[0])["sessionId"]
    text = "\n".join(ln for ln in lines if json.loads(ln).get("type") in ("user", "assistant"))
    target = megabytes << 20
    written = 0
    previous: str | None = None
    rep = 0
    with path.open("w", encoding="utf-8") as fh:
        while written < target:
            def fresh(m: re.Match[str], rep: int = rep) -> str:
                value = m.group(0)
                return value if value == session_id else str(uuid.uuid5(uuid.NAMESPACE_URL, f"{value}/{rep}"))

            chunk = _IDS.sub(lambda m, rep=rep: f'"{m.group(1)}x{rep}"', _UUID.sub(fresh, text))
            first, rest = chunk.split("\n", 1)
            record = json.loads(first)
            record["parentUuid"] = previous
            chunk = json.dumps(record, separators=(",", ":")) + "\n" + rest
            previous = json.loads(chunk.rsplit("\n", 1)[-1])["uuid"]
            fh.write(chunk + "\n")
            written += len(chunk) + 1
            rep += 1


def _child(phase: str, path: Path) -> dict[str, float]:
    """Run one measurement in a fresh interpreter; it prints seconds and its own peak RSS."""
    code = f"""
import json, resource, sys, time
from pathlib import Path
path = Path({str(path)!r})
start = time.perf_counter()
if {phase!r} == "json":
    n = 0
    with path.open("rb") as fh:
        for line in fh:
            if line.strip():
                json.loads(line)
                n += 1
    extra = {{"records": n}}
else:
    from skillforge.ingest import inspect_paths
    (report,) = inspect_paths([path])
    extra = {{"format": report.format, "traces": report.traces, "steps": report.steps, "skipped": len(report.skipped)}}
seconds = time.perf_counter() - start
rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": seconds, "rss_mb": rss_kb / 1024, **extra}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=300, help="size of the generated session (default 300)")
    parser.add_argument("--input", type=Path, help="measure this JSONL file instead of generating one")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = args.input
        if path is None:
            path = Path(tmp) / "session.jsonl"
            started = time.perf_counter()
            build(path, args.mb)
            print(f"built {path.stat().st_size / 1e6:.0f} MB session in {time.perf_counter() - started:.1f} s")
        size_mb = path.stat().st_size / 1e6
        plain = _child("json", path)
        ingest = _child("inspect", path)

    ratio = ingest["seconds"] / plain["seconds"]
    print(f"file:                 {size_mb:.0f} MB, {plain['records']:.0f} records")
    print(f"json.loads per line:  {size_mb / plain['seconds']:7.1f} MB/s  ({plain['seconds']:.2f} s, peak RSS {plain['rss_mb']:.0f} MB)")
    print(f"inspect_paths:        {size_mb / ingest['seconds']:7.1f} MB/s  ({ingest['seconds']:.2f} s, peak RSS {ingest['rss_mb']:.0f} MB)")
    print(f"  read as {ingest['format']}: {ingest['traces']:.0f} trace(s), {ingest['steps']:.0f} steps, "
          f"{ingest['skipped']:.0f} skipped")
    ok_ratio = ratio <= TARGET_RATIO
    ok_rss = ingest["rss_mb"] < TARGET_RSS_MB
    print(f"ratio inspect/json:   {ratio:.2f}x  (target <= {TARGET_RATIO:.0f}x: {'ok' if ok_ratio else 'MISSED'})")
    print(f"peak RSS inspect:     {ingest['rss_mb']:.0f} MB  (target < {TARGET_RSS_MB} MB: {'ok' if ok_rss else 'MISSED'})")
    return 0 if ok_ratio and ok_rss else 1


if __name__ == "__main__":
    raise SystemExit(main())
