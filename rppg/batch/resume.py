"""Results of a batch run kept one file per item as they finish, so that a run stopped part-way
(Ctrl-C, a crash, a lost machine) resumes where it stopped.

    store = ResultStore(out / "recordings")
    store.save("subject4", key, {"rows": [...]})    # atomically: a crash leaves no half file
    store.load("subject4", key)                     # the payload, or None: absent, unreadable,
                                                    # or saved under another key (settings)

The key says what the result depends on (settings, methods, input files, rppg's version): a
result saved under another key is evaluated again, never reused.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rppg.files import safe_name, write_json


class ResultStore:
    """``folder/<name>.json`` per item: ``{"key": ..., "name": ..., "payload": ...}``."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path(self, name: str) -> Path:
        return self.folder / f"{safe_name(name)}.json"

    def save(self, name: str, key: str, payload: dict) -> None:
        write_json({"key": key, "name": name, "payload": payload}, self.path(name))

    def load(self, name: str, key: str) -> dict | None:
        path = self.path(name)
        if not path.is_file():
            return None
        try:
            entry = json.loads(path.read_text())
        except (OSError, ValueError) as exc:  # damaged by hand or disk: evaluated again
            print(f"rppg: warning: {path}: unreadable kept result ({exc}); evaluating again", file=sys.stderr)
            return None
        if not isinstance(entry, dict) or entry.get("key") != key or entry.get("name") != name:
            return None
        return entry.get("payload")
