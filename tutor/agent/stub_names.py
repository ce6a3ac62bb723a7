"""The names of every lab's TODO stubs, kept on disk between processes.

Every turn checks the learner's message against the names of all 18 labs' TODO functions
(the outsourcing detector, the course vocabulary). Reading them means parsing each
starter.py with ``ast``, a noticeable share of a cold ``tutor ask``; the names only change
when a starter does. They are kept in ``stub-names.json`` in the vector cache's folder,
keyed by the starter's path, size and modification time; a missing, damaged, oversized or
foreign entry is simply recomputed, and a read-only home only costs the parse.
"""

from __future__ import annotations

import json
from pathlib import Path

from tutor.agent import vector_cache

NAME = "stub-names.json"
MAX_BYTES = 256 * 1024


def _signature(starter: Path) -> list[int] | None:
    try:
        st = starter.stat()
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size]


def _read(path: Path) -> dict:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        data = json.loads(raw) if len(raw) <= MAX_BYTES else {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path, data: dict) -> None:
    from tutor.store.export import write_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(data, sort_keys=True))
    except OSError:
        pass  # a read-only home only costs the parse next time


def all_stub_names(view) -> frozenset[str]:
    """Every stub name of every lab of ``view`` (a CourseView), from the cache where it holds."""
    cache_dir = vector_cache.CACHE_DIR
    path = cache_dir / NAME if cache_dir is not None else None
    cached = _read(path) if path is not None else {}
    names: set[str] = set()
    changed = False
    for number, lesson in sorted(view.lessons.items()):
        lab = getattr(lesson, "lab", None)
        if lab is None:
            continue
        starter = Path(lab.path) / "starter.py"
        key, signature = str(starter), _signature(starter)
        entry = cached.get(key)
        if (signature is not None and isinstance(entry, dict) and entry.get("sig") == signature
                and isinstance(entry.get("names"), list) and all(isinstance(n, str) for n in entry["names"])):
            names.update(entry["names"])
            continue
        view_of_lab = view.lab(number)
        found = list(view_of_lab.stub_names) if view_of_lab else []
        names.update(found)
        if signature is not None:
            cached[key] = {"sig": signature, "names": found}
            changed = True
    if changed and path is not None:
        _write(path, cached)
    return frozenset(names)
