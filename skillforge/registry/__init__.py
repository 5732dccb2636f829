"""The git-backed skill registry: versions, history, diff, rollback, pins, remotes.

```python
from skillforge.registry import open_registry

reg = open_registry()                      # ~/.skillforge/registry (SKILLFORGE_HOME / SKILLFORGE_REGISTRY)
result = reg.publish(Path("skills/pdf-forms"), bump="minor", message="handle XFA forms")
reg.versions("pdf-forms")[0].version       # newest first
reg.export("pdf-forms", reg.resolve("pdf-forms"), Path("out"))
```

Only ``skillforge.registry`` runs git (``_git.py`` is the one GitPython import). The layout on disk is
documented in ``registry/LAYOUT.md``.
"""

from __future__ import annotations

from skillforge.models.registry import (
    FsckReport,
    IndexEntry,
    Pin,
    PublishResult,
    RemoteInfo,
    SkillSummary,
    SkillVersion,
    SyncResult,
    VersionRecord,
)
from skillforge.registry.store import Registry, open_registry

__all__ = [
    "FsckReport",
    "IndexEntry",
    "Pin",
    "PublishResult",
    "Registry",
    "RemoteInfo",
    "SkillSummary",
    "SkillVersion",
    "SyncResult",
    "VersionRecord",
    "open_registry",
]
