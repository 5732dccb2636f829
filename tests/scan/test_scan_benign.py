"""Real inputs must not be refused: the trace samples, examples/, and real published skills."""

from __future__ import annotations

from pathlib import Path

from skillforge.scan import scan_paths, scan_skill

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "tests" / "data"


def test_trace_samples_and_examples_have_no_high_findings() -> None:
    report = scan_paths([DATA / "samples", ROOT / "examples"])
    assert report.files_scanned >= 70
    assert report.high == []
    # What is left is worth a look but is not an attack: one zero-width space in a Django PR link, and the
    # CTF run that found the challenge's password ("login with password flag{…}", masked in the excerpt).
    assert {(f.rule_id, f.severity) for f in report.findings} <= {("zero-width", "low"), ("possible-secret", "medium")}
    secrets = [f for f in report.findings if f.rule_id == "possible-secret"]
    assert all("ctf_misc_networking_1.traj" in f.location and "[REDACTED:" in f.excerpt for f in secrets)


def test_published_skills_have_no_findings_at_all() -> None:
    report = scan_paths([DATA / "published_skills"])
    assert report.files_scanned == 19  # 10 SKILL.md + 9 LICENSE.txt
    assert report.findings == []


def test_published_skills_with_scripts_have_no_high_findings() -> None:
    for skill in ("webapp-testing", "mcp-builder"):
        report = scan_skill(DATA / "benign_skills" / skill)
        assert report.ok, [f.model_dump() for f in report.high]
    # with_server.py builds a shell command from its arguments: worth a look, not a refusal.
    report = scan_skill(DATA / "benign_skills" / "webapp-testing")
    assert [(f.rule_id, f.severity, f.line) for f in report.findings] == [("shell-injection", "medium", 69)]


def test_everyday_skill_commands_are_not_flagged(write_skill) -> None:  # type: ignore[no-untyped-def]
    skill = write_skill(
        {
            "SKILL.md": (
                "# Release\n\n"
                "Never run `rm -rf /` or pipe `curl` output into `sh`; download, check, then run.\n\n"
                '```bash\nset -euo pipefail\nrm -rf build/ dist/ .pytest_cache\nrm -rf "$OUT_DIR/"\n'
                "curl -fsSL -o uv.tar.gz https://github.com/astral-sh/uv/releases/latest/download/uv.tar.gz\n"
                "sha256sum -c uv.tar.gz.sha256\ngit push origin --tags\n"
                'eval "$(ssh-agent -s)"\npython -m pytest -q\n```\n\n'
                "Team: 👩‍💻 and 👨‍👩‍👧 emoji, a flag 🏴󠁧󠁢󠁳󠁣󠁴󠁿, Persian می‌خواهم, Russian текст, Greek λόγος, 10 µs.\n"
            ),
            "scripts/release.py": (
                "import subprocess\nimport sys\n\n"
                "def main() -> None:\n"
                "    subprocess.run(['git', 'tag', sys.argv[1]], check=True)\n"
                "    subprocess.run('git status --short', shell=True, check=True)\n"
                "    print(eval('1 + 1'))\n"
            ),
            "scripts/clean.sh": '#!/bin/sh\nset -eu\nrm -rf "${BUILD:?}/"\nrm -rf ./tmp\n',
            "references/config.md": 'Set `api_key: "your-api-key-here"` and `password = os.environ["PW"]`.\n',
        },
        extra="allowed-tools: Bash(git status:*) Bash(python -m pytest:*) Read\n",
    )
    report = scan_skill(skill)
    assert report.findings == []


ORDINARY = [
    "curl -fsSL -o uv.tar.gz https://github.com/astral-sh/uv/releases/latest/download/uv.tar.gz\n"
    "sha256sum -c uv.tar.gz.sha256\ntar xzf uv.tar.gz",
    "curl -fsSLo install.sh https://example.com/install.sh\nsha256sum -c install.sh.sha256\nbash install.sh",
    "rm -rf build/ dist/ *.egg-info",
    'rm -rf "${BUILD_DIR:?}/"',
    "OUT=dist\nrm -rf \"$OUT/\"",
    "pip install -e .",
    'git commit -m "release: 1.2.0"',
    "find . -name '*.pyc' -delete",
    "find \"$PWD/build\" -name '*.o' -delete",
    "curl -s https://api.github.com/repos/o/r | python3 -m json.tool",
    "curl -s https://api.example.com/v1/items | jq '.items[]'",
    "curl -sSL https://example.com/data.json -o data.json && python3 scripts/load.py data.json",
    "wget -q https://example.com/archive.tar.gz && tar xzf archive.tar.gz",
    "cat ~/.gitconfig",
    "echo 'export PATH=$PWD/bin:$PATH' >> .envrc",
    "git config user.email dev@example.com",
    "python -m pytest -q 2>&1 | tee test.log",
    "docker build -t app . && docker run --rm app",
    "make -j4 && sudo make install",
    'eval "$(ssh-agent -s)"',
    "cp .env.example .env.local.example",
    "ln -s ../shared/config.yaml config.yaml",
    "sudo systemctl enable --now docker",
    "systemctl --user status pipewire",
    "systemctl --user restart pipewire",
    "journalctl --user -u sync.service -n 50",
    "history | grep docker",
    "grep -c ssh ~/.bash_history > ssh_count.txt",
    "cp ~/.bash_history history-backup.txt",
    "rm -f build/history.json",
    "crontab -l",
    "openssl s_client -connect example.com:443 -servername example.com < /dev/null",
    "echo | openssl s_client -connect example.com:443 2>/dev/null | openssl x509 -noout -dates",
    "mkfifo /tmp/progress && tail -f /tmp/progress &",
    "socat - UNIX-CONNECT:/var/run/docker.sock",
]


def test_ordinary_commands_are_never_high() -> None:
    from skillforge.scan.content import scan_text

    for command in ORDINARY:
        for rel, text in (
            ("scripts/run.sh", "#!/bin/sh\n" + command + "\n"),
            ("SKILL.md", "---\nname: demo\ndescription: Demo.\n---\n\n```bash\n" + command + "\n```\n"),
        ):
            high = [(f.rule_id, f.excerpt) for f in scan_text(rel, text) if f.severity == "high"]
            assert high == [], (rel, command, high)
    inline = "\n".join(f"Run `{c}` when needed." for c in ORDINARY if "\n" not in c)
    assert [f for f in scan_text("SKILL.md", inline) if f.severity == "high"] == []


def test_distilled_samples_pass_the_rendered_scan(tmp_path: Path) -> None:
    from skillforge.distill.pipeline import run_distill
    from skillforge.scan import scan_rendered
    from skillforge.skills.io import read_package

    report = run_distill([DATA / "samples"], tmp_path / "out")
    assert report.skills
    for skill in report.skills:
        high = [f for f in scan_rendered(read_package(Path(skill.path))) if f.severity == "high"]
        assert high == [], [(f.rule_id, f.location, f.excerpt) for f in high]
