"""Errors that are the user's to fix.

A :class:`RppgError` carries a one-line message naming the file and the problem; the CLI
prints it on stderr and exits with code 2. Anything else is a bug and exits with code 1.

    from rppg.errors import RppgError
    raise RppgError(f"{path}: not a readable video")
"""

from __future__ import annotations


class RppgError(Exception):
    """A user error (missing file, bad video, no face, unknown name): exit code 2."""


class NoFaceError(RppgError):
    """No face was found in a recording."""
