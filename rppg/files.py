"""Files: the one atomic write, JSON and CSV writers, output folders, safe and sorted names.

Every file rppg writes goes through here, so that a crash (or another run writing the same
file) never leaves half a file for a reader, and every file gets the user's usual mode.

    out = prepare_out_dir("results/")           # fails early, one line, if not writable
    write_json({"hr_bpm": json_number(hr)}, out / "summary.json")
    write_csv(out / "x.csv", ["t_s", "hr_bpm"], rows)
    with CsvWriter(out / "log.csv", ["epoch", "loss"]) as log: log.row([1, 0.5])
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from rppg.errors import RppgError

_UMASK_LOCK = threading.Lock()


def prepare_out_dir(path: str | os.PathLike) -> Path:
    """Create ``path`` if needed and check it is writable, before any work is done."""
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise RppgError(f"{path}: cannot write output folder ({reason})") from None
    return out


def _user_file_mode() -> int:
    """The mode a plain ``open(path, "w")`` gives a new file: 0666 less the umask. (A
    temporary file is created 0600, and a rename keeps that mode.)"""
    with _UMASK_LOCK:  # the umask can only be read by setting it
        mask = os.umask(0o022)
        os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> Path:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it over ``path``:
    readers (another run, a crash later) see the old file or the whole new one, never half.
    The file gets the mode of any other file the user writes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, _user_file_mode())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_json(obj: object, path: str | os.PathLike) -> Path:
    return atomic_write(path, lambda f: f.write((json.dumps(obj, indent=2) + "\n").encode()))


def json_number(x: float | None, digits: int | None = 3) -> float | None:
    """A number for JSON: rounded to ``digits`` (None: as it is), and None (null) where it is
    missing, NaN or infinite."""
    if x is None or not math.isfinite(x):
        return None
    return float(x) if digits is None else round(float(x), digits)


def cell(value: Any, float_format: str = ".10g") -> str:
    """A CSV cell: floats formatted, NaN and None empty, booleans 0/1."""
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return "" if not math.isfinite(value) else format(float(value), float_format)
    return str(value)


def csv_line(values: Sequence[Any], float_format: str = ".10g") -> str:
    """One CSV line (with its newline) of cells."""
    return ",".join(_quote(cell(v, float_format)) for v in values) + "\n"


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text


def _ordered(values: Sequence[Any] | dict[str, Any], columns: Sequence[str]) -> Sequence[Any]:
    return [values.get(c) for c in columns] if isinstance(values, dict) else values


def write_csv(
    path: str | os.PathLike,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any] | dict[str, Any]],
    float_format: str = ".10g",
) -> Path:
    """A whole table as CSV, atomically: rows are sequences in column order or dicts. Rows
    are written as they come (an hour of frames is never one string in memory)."""

    def write(f: IO[bytes]) -> None:
        f.write(csv_line(columns).encode())
        for r in rows:
            f.write(csv_line(_ordered(r, columns), float_format).encode())

    return atomic_write(path, write)


class CsvWriter:
    """Rows of a CSV file written as they come (flushed each row), for logs that must
    survive a crash: the live recorder, the training log. ``append`` continues an existing
    file under its header."""

    def __init__(
        self,
        path: str | os.PathLike,
        columns: Sequence[str],
        float_format: str = ".10g",
        append: bool = False,
    ) -> None:
        self.path = Path(path)
        self.columns = list(columns)
        self.float_format = float_format
        fresh = not (append and self.path.is_file() and self.path.stat().st_size > 0)
        self._file = open(self.path, "w" if fresh else "a", newline="")
        if fresh:
            self._file.write(csv_line(self.columns))

    def row(self, values: Sequence[Any] | dict[str, Any]) -> None:
        self._file.write(csv_line(_ordered(values, self.columns), self.float_format))
        self._file.flush()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> CsvWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def natural_key(name: str) -> list:
    """Sort key that orders numbers in names as numbers: ``subject2`` before ``subject10``."""
    return [int(s) if s.isdigit() else s for s in re.split(r"(\d+)", name)]


def safe_name(name: str) -> str:
    """``name`` as a file name: anything but letters, digits, ``-_.`` becomes ``_``."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
