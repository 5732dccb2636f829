"""The only module that imports GitPython: a small object-level view of the registry repository.

Writes never touch the work tree or git's index: blobs, trees, commits and annotated tags are
written as loose objects (unreachable, hence invisible, until a ref points at them) and then every
ref of one operation moves in a single ``git update-ref --stdin`` transaction with compare-and-swap
on ``main``. A crash at any point before that transaction leaves the registry exactly as it was.

Git runs without depending on the user's configuration for anything that matters here: hooks are
pointed at an empty folder, signing is off, the branch name is fixed, and an identity is set on the
repository when none is configured. Credentials helpers from the user's config still work for push
and pull.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from io import BytesIO
from pathlib import Path
from typing import NamedTuple

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
            raise RegistryError(
                "not a git repository", path=path, hint="run `skillforge registry init`"
            ) from exc
        self.git_dir = Path(self.repo.git_dir)
        self.repo.git.update_environment(LC_ALL="C", LANGUAGE="C", GIT_TERMINAL_PROMPT="0")
        self._loose = LooseObjectDB(str(self.git_dir / "objects"))
        self._trees: dict[str, tuple[Entry, ...]] = {}

    @classmethod
    def init(cls, path: Path) -> GitRepo:
        """Create a repository at ``path`` (branch ``main``, no commit yet), configured for skillforge.

        The repository is built in a temporary sibling folder and its ``.git`` renamed into place,
        so another process never sees a half-initialised repository.
        """
        path.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.init-", dir=path.parent))
        try:
            git.Repo.init(staging, initial_branch=BRANCH).close()
            repo = cls(staging)
            repo.configure(git_dir=path / ".git")
            repo.close()
            os.rename(staging / ".git", path / ".git")
        except git.GitCommandError as exc:
            raise RegistryError(f"cannot create a git repository: {_stderr(exc)}", path=path) from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return cls(path)

    def close(self) -> None:
        self.repo.close()

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

    def is_configured(self) -> bool:
        return self.config_get("skillforge.format") is not None

    def config_get(self, key: str) -> str | None:
        """A config value as git itself resolves it (env, repository, global, system)."""
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
        try:
            with tempfile.TemporaryFile() as handle:
                handle.write(stdin or b"")
                handle.seek(0)
                out = self.repo.git.execute(
                    ["git", *args], istream=handle, stdout_as_string=False, strip_newline_in_stdout=False
                )
        except git.GitCommandError as exc:
            raise RegistryError(
                f"git {args[0]} failed: {_stderr(exc)}", path=self.path, hint=_hint(exc)
            ) from exc
        return bytes(out)

    def run_status(self, *args: str) -> tuple[int, str, str]:
        """Run git and return ``(exit status, stdout, stderr)`` without raising on failure."""
        status, out, err = self.repo.git.execute(
            ["git", *args], with_extended_output=True, with_exceptions=False
        )
        return int(status or 0), str(out), str(err)

    # ---- reading objects -----------------------------------------------------------------------

    def read(self, sha: str) -> tuple[str, bytes]:
        """Type and raw content of object ``sha``."""
        try:
            _, kind, _, data = self.repo.git.get_object_data(sha)
        except (git.GitCommandError, ValueError, OSError) as exc:
            raise RegistryError(
                f"git object {sha} is missing or unreadable", path=self.path, hint=REPAIR_HINT
            ) from exc
        return kind.decode() if isinstance(kind, bytes) else str(kind), data

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
            results.append((header[1].decode(), bytes(out[pos : pos + size])))
            pos += size + 1
        return results

    def object_ids(self, revs: Sequence[str]) -> list[str | None]:
        """Object ids for many revisions in one ``cat-file --batch-check`` run (None when missing)."""
        if not revs:
            return []
        out = self.run("cat-file", "--batch-check=%(objectname)", stdin=("\n".join(revs) + "\n").encode())
        return [line if len(line) == 40 else None for line in out.splitlines()]

    def resolve(self, ref: str) -> str | None:
        """The object a ref points to, or None when it does not exist."""
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
        stream = self._loose.store(IStream(kind.encode(), len(data), BytesIO(data)))
        return str(stream.hexsha.decode() if isinstance(stream.hexsha, bytes) else stream.hexsha)

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
        """Apply all ``updates`` atomically: either every ref moves or none does."""
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

    def refs(self, *patterns: str, fmt: str = "%(refname)") -> list[str]:
        """``git for-each-ref`` records for ``patterns`` (NUL+RS ends each, so messages may span lines)."""
        out = self.run("for-each-ref", f"--format={fmt}%00%1e", *patterns)
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


def _stderr(exc: git.GitCommandError) -> str:
    text = exc.stderr if isinstance(exc.stderr, str) else str(exc.stderr or "")
    text = text.strip().removeprefix("stderr:").strip().strip("'").strip()
    return " ".join(text.split())[:500] or f"exit status {exc.status}"


def _hint(exc: git.GitCommandError) -> str | None:
    text = _stderr(exc)
    if "Unable to create" in text and ".lock" in text:
        return REPAIR_HINT
    if "corrupt" in text or "missing" in text or "bad object" in text:
        return REPAIR_HINT
    return None


def shallow_clone(url: str, dest: Path) -> str:
    """Clone ``url`` at depth 1 into ``dest`` (no hooks, no prompts); returns the checked-out commit.

    Used by ``hosts`` to install a skill from a git URL, since only this module runs git.
    """
    if not url or url.startswith("-") or "\n" in url:
        raise RegistryError(f"invalid git URL {url!r}")
    runner = git.Git()
    env = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    hooks = tempfile.mkdtemp(prefix="skillforge-no-hooks-")
    try:
        runner.execute(
            ["git", "-c", f"core.hooksPath={hooks}", "clone", "--depth=1", "--quiet", "--", url, str(dest)],
            env=env,
        )
        return str(git.Git(str(dest)).execute(["git", "rev-parse", "HEAD"], env=env))
    except git.GitCommandError as exc:
        raise RegistryError(f"git clone failed: {_stderr(exc)}", path=url) from exc
    finally:
        os.rmdir(hooks)
