"""The only module that imports GitPython: a small object-level view of the registry repository.

Writes never touch the work tree or git's index: blobs, trees, commits and annotated tags are
written as loose objects (unreachable, hence invisible, until a ref points at them) and then every
ref of one operation moves in a single ``git update-ref --stdin`` transaction with compare-and-swap
on ``main``. A crash at any point before that transaction leaves the registry exactly as it was.

Git runs without depending on the user's configuration for anything that matters here: hooks are
pointed at an empty folder, signing is off, the branch name is fixed, and an identity is set on the
repository when none is configured. Credentials helpers from the user's config still work for push
and pull.

Nothing in the registry's own ``.git/config`` can make git run a program: every git process gets
``-c core.hooksPath=/dev/null -c core.fsmonitor=false -c protocol.ext.allow=never`` plus overrides
for each program-running key the repository config sets (filters, ssh command, credential helpers,
upload/receive-pack), an explicit ``--git-dir``/``--work-tree``, and an environment without the
caller's ``GIT_*`` redirections (``GIT_DIR``, ``GIT_CONFIG_PARAMETERS``, ...). A repository config that
includes other files or names a remote helper is refused outright (``repair`` removes such keys).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Sequence
from io import BytesIO
from pathlib import Path
from typing import IO, NamedTuple

import git
from git.objects.fun import tree_entries_from_data, tree_to_stream
from gitdb import IStream
from gitdb.db import LooseObjectDB

from skillforge.errors import ConflictError, RegistryError

BRANCH = "main"
MAIN = f"refs/heads/{BRANCH}"
ZERO = "0" * 40
REPAIR_HINT = "run `skillforge registry repair`"

MODE_TREE = 0o040000
MODE_FILE = 0o100644
MODE_EXEC = 0o100755
MODE_LINK = 0o120000

# repository-level settings that override whatever the user's global config says
_CONFIG = {
    "commit.gpgSign": "false",
    "tag.gpgSign": "false",
    "core.logAllRefUpdates": "true",
    "core.autocrlf": "false",
    "push.followTags": "false",
    "fetch.prune": "false",
    "skillforge.format": "1",
}
_TREE_CACHE_SIZE = 4096

# Options every git process gets, whatever any config file says: no hooks, no fsmonitor daemon
# or hook, no ``ext::`` transport (which runs an arbitrary command).
_SAFE_OPTIONS = (
    "-c",
    "core.hooksPath=/dev/null",
    "-c",
    "core.fsmonitor=false",
    "-c",
    "protocol.ext.allow=never",
)
# Config keys that make git run a program or read more config (git prints names lowercased except
# the subsection). fsck reports each one found in the registry's own config; repair removes them.
EXEC_KEYS = re.compile(
    r"^(core\.(hookspath|fsmonitor|sshcommand|askpass|pager|editor|gitproxy|alternaterefscommand|worktree)"
    r"|sequence\.editor|credential\.(.+\.)?helper|diff\.external|diff\..+\.(command|textconv)"
    r"|filter\..+\.(clean|smudge|process)|merge\..+\.driver|gpg\.(.+\.)?program"
    r"|remote\..+\.(uploadpack|receivepack|vcs)|include\.path|includeif\..+\.path"
    r"|uploadpack\.packobjectshook|protocol\.(.+\.)?allow)$"
)
# Of those, the ones no command-line override can neutralise: git is not run while they are set.
_REFUSED_KEYS = re.compile(r"^(include\.path|includeif\..+\.path|remote\..+\.vcs|core\.gitproxy)$")
# Environment variables passed on to git: identity, the user's config files, transport settings.
_ENV_KEEP = re.compile(
    r"^GIT_(AUTHOR_|COMMITTER_|SSH|SSL_|HTTP_|PROXY_|CURL_|TRACE|CONFIG_GLOBAL$|CONFIG_NOSYSTEM$"
    r"|CONFIG_SYSTEM$|ASKPASS$)"
)


def git_env() -> dict[str, str]:
    """The caller's environment minus ``GIT_*`` redirections, with a fixed locale and no prompts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or _ENV_KEEP.match(k)}
    env.update(LC_ALL="C", LANGUAGE="C", GIT_TERMINAL_PROMPT="0", GIT_NO_REPLACE_OBJECTS="1")
    return env


def _plain_git(*args: str) -> subprocess.CompletedProcess[bytes]:
    """Run git outside any repository (for ``config --file``, which parses without executing)."""
    return subprocess.run(
        ["git", *_SAFE_OPTIONS, *args],
        cwd="/",
        env=dict(git_env(), GIT_CEILING_DIRECTORIES="/"),
        capture_output=True,
        check=False,
    )


_CONFIG_CACHE: dict[tuple[str, int, int, int], list[tuple[str, str]] | None] = {}


def read_config_file(path: Path) -> list[tuple[str, str]] | None:
    """``(key, value)`` pairs of one git config file, includes not followed; None when it does not parse."""
    try:
        info = path.stat()
    except OSError:
        return []
    key = (str(path), info.st_ino, info.st_size, info.st_mtime_ns)
    if key in _CONFIG_CACHE:  # opening a registry should not cost a git process each time
        return _CONFIG_CACHE[key]
    done = _plain_git("config", "--file", str(path), "--no-includes", "--null", "--list")
    pairs: list[tuple[str, str]] | None = None
    if done.returncode == 0:
        pairs = []
        for record in done.stdout.decode("utf-8", "replace").split("\x00"):
            if record:
                name, _, value = record.partition("\n")
                pairs.append((name, value))
    if len(_CONFIG_CACHE) > 64:
        _CONFIG_CACHE.clear()
    _CONFIG_CACHE[key] = pairs
    return pairs


def unset_config(path: Path, key: str) -> None:
    """Remove every value of ``key`` from the config file ``path`` (parsing only; nothing is run)."""
    done = _plain_git("config", "--file", str(path), "--unset-all", key)
    if done.returncode not in (0, 5):  # 5: the key was not there
        text = _clean(done.stderr.decode("utf-8", "replace"))
        raise RegistryError(f"cannot remove {key} from the git config: {text}", path=path)


def exec_settings(config: list[tuple[str, str]], own_hooks: Path | None = None) -> list[tuple[str, str]]:
    """The program-running settings in ``config`` (skillforge's own empty hooks folder excepted)."""
    found = []
    for key, value in config:
        low = key.lower()
        if not EXEC_KEYS.match(low):
            continue
        if low == "core.hookspath" and _own_hooks(Path(value), own_hooks):
            continue
        if low == "core.fsmonitor" and value.lower() in ("false", "0", "no", "off", ""):
            continue
        if low.startswith("protocol.") and value == "never":
            continue
        found.append((key, value))
    return found


def _own_hooks(path: Path, own: Path | None) -> bool:
    """True for skillforge's own empty hooks folder (also after the registry folder was moved)."""
    if path == own:
        return True
    if path.parts[-3:] != (".git", "skillforge", "no-hooks"):
        return False
    return not path.is_dir() or not any(path.iterdir())


def _user_values(key: str) -> list[str]:
    """Values of ``key`` in the user's global and system config (not the repository's)."""
    values = []
    for scope in ("--system", "--global"):
        done = _plain_git("config", scope, "--null", "--get-all", key)
        if done.returncode == 0:
            values += [v for v in done.stdout.decode("utf-8", "replace").split("\x00") if v]
    return values


def _overrides(settings: list[tuple[str, str]]) -> list[str]:
    """``-c`` options that neutralise each program-running setting of the repository config."""
    out: list[str] = []
    seen: set[str] = set()
    for key, _ in settings:
        low = key.lower()
        if low in seen:
            continue
        seen.add(low)
        section, _, rest = key.partition(".")
        sub, _, leaf = rest.rpartition(".")
        if section.lower() == "filter":
            out += [f"filter.{sub}.clean=", f"filter.{sub}.smudge=", f"filter.{sub}.process="]
            out += [f"filter.{sub}.required=false"]
        elif low == "core.sshcommand":
            out.append(f"core.sshCommand={(_user_values('core.sshCommand') or ['ssh'])[-1]}")
        elif low == "core.askpass":
            out.append(f"core.askPass={(_user_values('core.askPass') or [''])[-1]}")
        elif section.lower() == "credential" and leaf.lower() == "helper":
            # an empty value resets the helper list; then the user's own helpers come back
            out += [f"{key}=", *(f"{key}={v}" for v in _user_values(key))]
    return [part for item in out for part in ("-c", item)]


class Entry(NamedTuple):
    """One tree entry: git mode, object id (hex) and name."""

    mode: int
    sha: str
    name: str

    @property
    def is_tree(self) -> bool:
        return self.mode == MODE_TREE


class RefUpdate(NamedTuple):
    """Move ``ref`` from ``old`` (``None``: must not exist; ``""``: any) to ``new`` (``None``: delete)."""

    ref: str
    new: str | None
    old: str | None = ""


class GitRepo:
    """A registry repository on disk, read and written at the level of git objects and refs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.repo = git.Repo(path)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
            if (Path(path) / ".git" / "objects").is_dir():
                raise RegistryError(
                    "the registry's git metadata is damaged (.git/HEAD or .git/config unreadable)",
                    path=path,
                    hint=REPAIR_HINT,
                ) from exc
            raise RegistryError(
                "not a git repository", path=path, hint="run `skillforge registry init`"
            ) from exc
        except Exception as exc:  # GitPython's own parse errors on a garbage .git/config
            raise RegistryError(
                f"the registry's .git/config is unreadable: {exc}", path=path, hint=REPAIR_HINT
            ) from exc
        self.git_dir = Path(self.repo.git_dir)
        self._loose = LooseObjectDB(str(self.git_dir / "objects"))
        self._trees: dict[str, tuple[Entry, ...]] = {}
        self._batch: subprocess.Popen[bytes] | None = None
        self._batch_lock = threading.Lock()
        self.written: list[str] = []
        """Every object id ``write`` returned since the last ``verify_written``."""
        self.reload_config()

    def reload_config(self) -> None:
        """Re-read the repository's own config and rebuild the options that neutralise it."""
        config = read_config_file(self.git_dir / "config")
        if config is None:
            raise RegistryError(
                "the registry's .git/config does not parse", path=self.git_dir / "config", hint=REPAIR_HINT
            )
        self.exec_settings = exec_settings(config, self.git_dir / "skillforge" / "no-hooks")
        self._refused = [k for k, _ in self.exec_settings if _REFUSED_KEYS.match(k.lower())]
        self._options = [
            *_SAFE_OPTIONS,
            *_overrides(self.exec_settings),
            f"--git-dir={self.git_dir}",
            f"--work-tree={self.path}",
        ]

    @classmethod
    def init(cls, path: Path) -> GitRepo:
        """Create a repository at ``path`` (branch ``main``, no commit yet), configured for skillforge.

        The repository is built in a temporary sibling folder and its ``.git`` renamed into place,
        so another process never sees a half-initialised repository.
        """
        path.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.init-", dir=path.parent))
        try:
            done = subprocess.run(
                # no templates: a template folder from the user's config may carry hooks or config
                ["git", *_SAFE_OPTIONS, "init", "--quiet", "--template=", f"--initial-branch={BRANCH}"]
                + [str(staging)],
                cwd=staging,
                env=git_env(),
                capture_output=True,
                check=False,
            )
            if done.returncode != 0:
                text = _clean(done.stderr.decode("utf-8", "replace"))
                raise RegistryError(f"cannot create a git repository: {text}", path=path)
            repo = cls(staging)
            repo.configure(git_dir=path / ".git")
            repo.close()
            os.rename(staging / ".git", path / ".git")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return cls(path)

    def close(self) -> None:
        self._stop_batch()
        self.repo.close()

    def _stop_batch(self) -> None:
        with self._batch_lock:
            if self._batch is not None:
                try:
                    assert self._batch.stdin is not None
                    self._batch.stdin.close()
                    self._batch.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    self._batch.kill()
                self._batch = None

    # ---- configuration -------------------------------------------------------------------------

    def configure(self, git_dir: Path | None = None) -> None:
        """Pin the settings skillforge relies on in the repository's own config (idempotent)."""
        (self.git_dir / "skillforge" / "no-hooks").mkdir(parents=True, exist_ok=True)
        hooks = (git_dir or self.git_dir) / "skillforge" / "no-hooks"
        wanted = dict(_CONFIG, **{"core.hooksPath": str(hooks)})
        if not self.config_get("user.name") or not self.config_get("user.email"):
            wanted.update({"user.name": "skillforge", "user.email": "skillforge@localhost"})
        with self.repo.config_writer("repository") as writer:
            for key, value in wanted.items():
                section, option = key.rsplit(".", 1)
                writer.set_value(section, option, value)
        self.reload_config()

    def is_configured(self) -> bool:
        return self.config_get("skillforge.format") is not None

    def is_configured_file(self) -> bool:
        """``is_configured`` from the repository's own config file alone (works while git refuses it)."""
        return any(k == "skillforge.format" for k, _ in read_config_file(self.git_dir / "config") or [])

    def config_get(self, key: str) -> str | None:
        """A config value as git itself resolves it (env, repository, global, system)."""
        self._refuse_unsafe_config()
        try:
            return self.run("config", "--get", key) or None
        except RegistryError:
            return None

    def ident(self, who: str = "AUTHOR") -> str:
        """``Name <email> <epoch> <tz>`` exactly as git would write it (honours GIT_AUTHOR_* etc.)."""
        return self.run("var", f"GIT_{who}_IDENT")

    # ---- running git ---------------------------------------------------------------------------

    def run(self, *args: str, stdin: bytes | None = None) -> str:
        """Run a git command in the repository; a failure becomes a ``RegistryError`` with git's words."""
        return self.run_bytes(*args, stdin=stdin).decode("utf-8", "replace").removesuffix("\n")

    def run_bytes(self, *args: str, stdin: bytes | None = None) -> bytes:
        """``run`` returning git's raw standard output."""
        status, out, err = self._execute(args, stdin)
        if status != 0:
            text = _clean(err.decode("utf-8", "replace")) or f"exit status {status}"
            raise RegistryError(f"git {args[0]} failed: {text}", path=self.path, hint=_hint_for(text))
        return out

    def run_status(self, *args: str) -> tuple[int, str, str]:
        """Run git and return ``(exit status, stdout, stderr)`` without raising on failure."""
        status, out, err = self._execute(args, None)
        text = out.decode("utf-8", "replace").removesuffix("\n")
        return status, text, err.decode("utf-8", "replace").removesuffix("\n")

    def _execute(self, args: Sequence[str], stdin: bytes | None) -> tuple[int, bytes, bytes]:
        """The one place a git process is started for this repository (see the module docstring)."""
        self._refuse_unsafe_config()
        args = self._transport_programs(args)
        with tempfile.TemporaryFile() as handle:
            handle.write(stdin or b"")
            handle.seek(0)
            try:
                done = subprocess.run(
                    ["git", *self._options, *args],
                    cwd=self.path,
                    env=git_env(),  # read now: identity and dates may change between calls
                    stdin=handle,
                    capture_output=True,
                    check=False,
                )
            except OSError as exc:
                raise RegistryError(f"cannot run git: {exc.strerror}", path=self.path) from exc
        return done.returncode, done.stdout, done.stderr

    def _transport_programs(self, args: Sequence[str]) -> list[str]:
        """Name git's own upload/receive-pack on the command line when the repository config names
        other programs: git keeps the *first* ``remote.<name>.uploadpack`` it reads, so ``-c`` cannot."""
        remote = [k.lower() for k, _ in self.exec_settings if k.lower().startswith("remote.")]
        keys = {k.rsplit(".", 1)[-1] for k in remote}
        if args and args[0] in ("fetch", "ls-remote") and "uploadpack" in keys:
            return [args[0], "--upload-pack=git-upload-pack", *args[1:]]
        if args and args[0] == "push" and "receivepack" in keys:
            return [args[0], "--receive-pack=git-receive-pack", *args[1:]]
        return list(args)

    def _refuse_unsafe_config(self) -> None:
        if self._refused:
            raise RegistryError(
                f"the registry's .git/config sets {', '.join(sorted(self._refused))}, which makes git "
                "read other config or run other programs; git is not run there",
                path=self.git_dir / "config",
                hint="`skillforge registry repair` removes it",
            )

    # ---- reading objects -----------------------------------------------------------------------

    def read(self, sha: str) -> tuple[str, bytes]:
        """Type and raw content of object ``sha``, checked against its id (a corrupt object is an error)."""
        with self._batch_lock:
            try:
                kind, data = self._read_batch(sha)
            except (OSError, ValueError) as exc:
                if self._batch is not None:
                    self._batch.kill()
                    self._batch = None
                raise RegistryError(
                    f"git object {sha} is missing or unreadable", path=self.path, hint=REPAIR_HINT
                ) from exc
        check_object(sha, kind, data, self.path)
        return kind, data

    def _read_batch(self, sha: str) -> tuple[str, bytes]:
        """One object through a long-running ``git cat-file --batch`` (started on first use)."""
        if self._batch is None or self._batch.poll() is not None:
            self._refuse_unsafe_config()
            self._batch = subprocess.Popen(
                ["git", *self._options, "cat-file", "--batch"],
                cwd=self.path,
                env=git_env(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        assert self._batch.stdin is not None and self._batch.stdout is not None
        if not sha or any(c in sha for c in " \n\t"):
            raise ValueError(f"not an object name: {sha!r}")
        self._batch.stdin.write(sha.encode() + b"\n")
        self._batch.stdin.flush()
        header = self._batch.stdout.readline().split()
        if len(header) != 3:
            raise ValueError(f"object {sha} not found")
        size = int(header[2])
        data = _read_exact(self._batch.stdout, size + 1)[:size]
        return header[1].decode(), data

    def read_many(self, revs: Sequence[str]) -> list[tuple[str, bytes] | None]:
        """Objects for many revisions (``sha``, ``ref``, ``tree:path``) in one ``cat-file --batch`` run.

        Missing ones come back as None. One process for thousands of objects, where one round trip
        each would dominate a cold index rebuild.
        """
        if not revs:
            return []
        out = self.run_bytes("cat-file", "--batch", stdin=("\n".join(revs) + "\n").encode())
        results: list[tuple[str, bytes] | None] = []
        pos = 0
        for _ in revs:
            end = out.index(b"\n", pos)
            header = out[pos:end].split(b" ")
            pos = end + 1
            if len(header) != 3 or not header[2].isdigit():
                results.append(None)
                continue
            size = int(header[2])
            kind, data = header[1].decode(), bytes(out[pos : pos + size])
            check_object(header[0].decode(), kind, data, self.path)
            results.append((kind, data))
            pos += size + 1
        return results

    def object_ids(self, revs: Sequence[str]) -> list[str | None]:
        """Object ids for many revisions in one ``cat-file --batch-check`` run (None when missing)."""
        if not revs:
            return []
        out = self.run("cat-file", "--batch-check=%(objectname)", stdin=("\n".join(revs) + "\n").encode())
        return [line if len(line) == 40 else None for line in out.splitlines()]

    def object_sizes(self, shas: Sequence[str]) -> list[int | None]:
        """Sizes of many objects in one ``cat-file --batch-check`` run, unread (None: missing)."""
        if not shas:
            return []
        out = self.run("cat-file", "--batch-check=%(objectsize)", stdin=("\n".join(shas) + "\n").encode())
        return [int(line) if line.isdigit() else None for line in out.splitlines()]

    def resolve(self, ref: str) -> str | None:
        """The object a ref points to, or None when it does not exist."""
        self._refuse_unsafe_config()
        try:
            return self.run("rev-parse", "--verify", "--quiet", "--end-of-options", ref) or None
        except RegistryError:
            return None

    def head(self, *, strict: bool = True) -> str | None:
        """The commit of ``main`` (None before the first write).

        With ``strict``, a ``main`` that cannot be read although versions exist is an error rather
        than an empty registry: writing on top of it would drop every skill from the new tree.
        """
        sha = self.resolve(MAIN)
        if sha is None and strict and self.has_history():
            raise RegistryError(
                "the registry's main branch is missing or damaged", path=self.path, hint=REPAIR_HINT
            )
        return sha

    def has_history(self) -> bool:
        """True when version tags or a reflog of ``main`` exist."""
        if (self.git_dir / "logs" / "refs" / "heads" / BRANCH).exists():
            return True
        return bool(self.run("for-each-ref", "--count=1", "--format=%(refname)", "refs/tags"))

    def commit_tree(self, commit: str) -> str:
        kind, data = self.read(commit)
        if kind != "commit" or not data.startswith(b"tree "):
            raise RegistryError(f"{commit} is not a commit", path=self.path, hint=REPAIR_HINT)
        return data[5:45].decode()

    def commit_message(self, commit: str) -> str:
        _, data = self.read(commit)
        return data.split(b"\n\n", 1)[1].decode("utf-8", "replace") if b"\n\n" in data else ""

    def tree(self, sha: str) -> tuple[Entry, ...]:
        """Entries of tree ``sha`` (cached: trees never change)."""
        cached = self._trees.get(sha)
        if cached is not None:
            return cached
        kind, data = self.read(sha)
        if kind != "tree":
            raise RegistryError(f"{sha} is not a tree", path=self.path, hint=REPAIR_HINT)
        try:
            entries = tuple(
                Entry(mode, binsha.hex(), name) for binsha, mode, name in tree_entries_from_data(data)
            )
        except ValueError as exc:
            raise RegistryError(f"tree {sha} is malformed: {exc}", path=self.path, hint=REPAIR_HINT) from exc
        if len(self._trees) >= _TREE_CACHE_SIZE:
            self._trees.clear()
        self._trees[sha] = entries
        return entries

    def lookup(self, tree: str, path: str) -> Entry | None:
        """The entry at ``path`` (``a/b/c``) under ``tree``, or None."""
        entry: Entry | None = Entry(MODE_TREE, tree, "")
        for part in path.split("/"):
            if entry is None or not entry.is_tree:
                return None
            entry = next((e for e in self.tree(entry.sha) if e.name == part), None)
        return entry

    def flatten(self, tree: str, prefix: str = "") -> dict[str, Entry]:
        """Every non-tree entry under ``tree`` by relative POSIX path, sorted."""
        out: dict[str, Entry] = {}
        for entry in self.tree(tree):
            path = f"{prefix}{entry.name}"
            if entry.is_tree:
                out.update(self.flatten(entry.sha, path + "/"))
            else:
                out[path] = entry
        return out

    # ---- writing objects -----------------------------------------------------------------------

    def write(self, kind: str, data: bytes) -> str:
        """Store a loose object; unreachable until a ref points at it, so a crash here is harmless."""
        return self.write_stream(kind, len(data), BytesIO(data))

    def write_stream(self, kind: str, size: int, stream: IO[bytes]) -> str:
        """Store ``size`` bytes read from ``stream`` as one loose object, in chunks (never all in memory)."""
        stored = self._loose.store(IStream(kind.encode(), size, stream))
        sha = str(stored.hexsha.decode() if isinstance(stored.hexsha, bytes) else stored.hexsha)
        self.written.append(sha)
        return sha

    def verify_written(self) -> None:
        """Read back every object written since the last call and check it against its id.

        An object that already existed is not rewritten by ``write``; if that copy is corrupt, a
        new version would silently point at damaged content. Raises ``RegistryError`` instead.
        """
        shas = list(dict.fromkeys(self.written))
        self.written.clear()
        for sha in shas:
            try:
                self.read(sha)  # one at a time through the batch process: memory stays one object
            except RegistryError as exc:
                raise RegistryError(
                    f"{exc.message}; nothing was written", path=self.path, hint=REPAIR_HINT
                ) from exc

    def write_tree(self, entries: Iterable[Entry]) -> str:
        """Write a tree from entries in any order (git's order is applied here)."""
        ordered = sorted(entries, key=lambda e: e.name.encode() + (b"/" if e.is_tree else b""))
        buffer = BytesIO()
        tree_to_stream([(bytes.fromhex(e.sha), e.mode, e.name) for e in ordered], buffer.write)
        return self.write("tree", buffer.getvalue())

    def write_path(self, root: str | None, path: str, entry: Entry | None) -> str:
        """A new root tree equal to ``root`` with ``path`` set to ``entry`` (or removed when None)."""
        head, _, rest = path.partition("/")
        entries = {e.name: e for e in self.tree(root)} if root else {}
        if rest:
            child = entries.get(head)
            sub = self.write_path(child.sha if child and child.is_tree else None, rest, entry)
            if self.tree(sub):
                entries[head] = Entry(MODE_TREE, sub, head)
            else:
                entries.pop(head, None)
        elif entry is None:
            entries.pop(head, None)
        else:
            entries[head] = entry._replace(name=head)
        return self.write_tree(entries.values())

    def write_commit(
        self, tree: str, parents: Sequence[str], message: str, author: str, committer: str
    ) -> str:
        lines = [
            f"tree {tree}",
            *(f"parent {p}" for p in parents),
            f"author {author}",
            f"committer {committer}",
        ]
        return self.write("commit", ("\n".join(lines) + "\n\n" + message).encode())

    def write_tag(self, target: str, name: str, tagger: str, message: str) -> str:
        """An annotated tag object named ``name`` on commit ``target``."""
        text = f"object {target}\ntype commit\ntag {name}\ntagger {tagger}\n\n{message}"
        return self.write("tag", text.encode())

    # ---- refs ----------------------------------------------------------------------------------

    def update_refs(self, updates: Sequence[RefUpdate], reason: str) -> None:
        """Apply all ``updates`` atomically: either every ref moves or none does.

        Every object written since the last ref move is read back and checked first, so a ref never
        points at a corrupt object that ``write`` found already present and did not rewrite.
        """
        self.verify_written()
        lines = []
        for ref, new, old in updates:
            if new is None:
                lines.append(f"delete {ref} {old or ''}".rstrip())
            else:
                expected = ZERO if old is None else old
                lines.append(f"update {ref} {new} {expected}".rstrip())
        try:
            self.run("update-ref", "-m", reason, "--stdin", stdin=("\n".join(lines) + "\n").encode())
        except RegistryError as exc:
            if "Unable to create" in exc.message and ".lock" in exc.message:
                raise RegistryError(
                    "a git lock file was left behind by an interrupted command",
                    path=self.path,
                    hint=REPAIR_HINT,
                ) from exc
            if "expected" in exc.message or "already exists" in exc.message or "but is" in exc.message:
                raise ConflictError(
                    "the registry changed while this command ran; nothing was written",
                    path=self.path,
                    hint="run the command again",
                ) from exc
            raise

    def refs(self, *patterns: str, fmt: str = "%(refname)", merged: str | None = None) -> list[str]:
        """``git for-each-ref`` records for ``patterns`` (NUL+RS ends each, so messages may span lines);
        with ``merged``, only refs whose commit is reachable from that commit."""
        extra = [f"--merged={merged}"] if merged else []
        out = self.run("for-each-ref", f"--format={fmt}%00%1e", *extra, *patterns)
        records = (rec.lstrip("\n") for rec in out.split("\x00\x1e")) if out else ()
        return [rec for rec in records if rec]

    def is_ancestor(self, ancestor: str, commit: str) -> bool:
        return self._merge_base("--is-ancestor", ancestor, commit) is not None

    def merge_base(self, a: str, b: str) -> str | None:
        return self._merge_base(a, b) or None

    def _merge_base(self, *args: str) -> str | None:
        """``git merge-base``: its output, or None when it answers "no" (exit status 1)."""
        status, out, err = self.run_status("merge-base", *args)
        if status > 1:
            raise RegistryError(
                f"git merge-base failed: {' '.join(err.split())}", path=self.path, hint=REPAIR_HINT
            )
        return out.strip() if status == 0 else None


def check_object(sha: str, kind: str, data: bytes, where: Path) -> None:
    """Raise ``RegistryError`` unless ``data`` hashes to ``sha`` (git's object id of kind + content)."""
    digest = hashlib.sha1(f"{kind} {len(data)}\x00".encode())
    digest.update(data)
    if len(sha) == 40 and digest.hexdigest() != sha:
        raise RegistryError(
            f"git object {sha} is corrupt (its content does not match its id)", path=where, hint=REPAIR_HINT
        )


def _read_exact(stream: IO[bytes], size: int) -> bytes:
    parts, left = [], size
    while left > 0:
        chunk = stream.read(left)
        if not chunk:
            raise ValueError("git cat-file ended early")
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _clean(text: str) -> str:
    text = text.strip().removeprefix("stderr:").strip().strip("'").strip()
    return " ".join(text.split())[:500]


def _hint_for(text: str) -> str | None:
    if "Unable to create" in text and ".lock" in text:
        return REPAIR_HINT
    if any(w in text for w in ("corrupt", "missing", "bad object", "bad config")):
        return REPAIR_HINT
    return None


def shallow_clone(url: str, dest: Path) -> str:
    """Clone ``url`` at depth 1 into ``dest`` (no hooks, no prompts); returns the checked-out commit.

    Used by ``hosts`` to install a skill from a git URL, since only this module runs git.
    """
    if not url or url.startswith("-") or "\n" in url:
        raise RegistryError(f"invalid git URL {url!r}")
    env = git_env()
    done = subprocess.run(
        ["git", *_SAFE_OPTIONS, "clone", "--depth=1", "--quiet", "--", url, str(dest)],
        env=env,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        text = _clean(done.stderr.decode("utf-8", "replace")) or f"exit status {done.returncode}"
        raise RegistryError(f"git clone failed: {text}", path=url)
    head = subprocess.run(
        ["git", *_SAFE_OPTIONS, f"--git-dir={dest / '.git'}", "rev-parse", "HEAD"],
        env=env,
        capture_output=True,
        check=False,
    )
    if head.returncode != 0:
        raise RegistryError("git clone left no commit checked out", path=url)
    return head.stdout.decode().strip()
