"""On-disk caches of per-recording arrays (RGB traces, face crops), keyed by their inputs.

A key hashes everything that changes the content: the file's identity (path, size, mtime)
and the settings used. Entries are ``.npz`` files written atomically (a temporary file of a
name unique to the writer, then renamed), so neither a crash nor another run writing the
same entry at once leaves a half-written entry that a reader would see; an entry damaged
later is deleted and computed again.

    key = cache_key("trace", file_identity(video), to_dict(cfg.face), sorted(rois))
    arrays = load_arrays(cache_dir, key)          # dict or None
    save_arrays(cache_dir, key, {"t_s": t, ...})
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rppg.files import atomic_write

CACHE_VERSION = 3
"""Bump when the meaning of cached arrays changes: old entries are then ignored."""


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rppg"


def file_identity(path: str | os.PathLike) -> dict:
    """What identifies a file's content cheaply: resolved path, size, modification time.
    A folder (image sequence) is identified by its file count and newest modification."""
    p = Path(path).resolve()
    if p.is_dir():
        stats = [f.stat() for f in p.iterdir()]
        return {"path": str(p), "files": len(stats), "mtime": max((s.st_mtime_ns for s in stats), default=0)}
    st = p.stat()
    return {"path": str(p), "size": st.st_size, "mtime": st.st_mtime_ns}


def cache_key(*parts: object) -> str:
    text = json.dumps([CACHE_VERSION, *parts], sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:20]


def load_arrays(cache_dir: Path, key: str) -> dict[str, np.ndarray] | None:
    """The arrays of an entry, or None when there is none. An entry that cannot be read
    (damaged on disk, truncated by a copy) is deleted with a warning on stderr, so that the
    caller computes and saves it again instead of failing on it in every later run."""
    path = Path(cache_dir) / f"{key}.npz"
    if not path.is_file():
        return None
    try:
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:  # BadZipFile: an Exception only
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(
            f"rppg: warning: {path}: unreadable cache entry ({reason}); deleted, computing it again",
            file=sys.stderr,
        )
        path.unlink(missing_ok=True)
        return None


def save_arrays(cache_dir: Path, key: str, arrays: dict[str, np.ndarray]) -> None:
    atomic_write(Path(cache_dir) / f"{key}.npz", lambda f: np.savez(f, **arrays))


def cached_arrays(
    cache_dir: Path, key: str, compute: Callable[[], dict[str, np.ndarray]]
) -> dict[str, np.ndarray]:
    """The entry's arrays, computed by ``compute()`` and saved when there is none yet."""
    arrays = load_arrays(cache_dir, key)
    if arrays is None:
        arrays = compute()
        save_arrays(cache_dir, key, arrays)
    return arrays
