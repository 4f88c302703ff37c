"""A recording whose loading kills the process that loads it, as an out-of-memory kill or a
crash in a video decoder would: for the fault tests of batch runs.

Worker processes import this module by name when they unpickle the recording, so the test
folder's parent must be on their ``sys.path`` (spawned workers inherit the parent's)."""

from __future__ import annotations

import os
import signal
from dataclasses import asdict, dataclass

from rppg.io import Recording


@dataclass
class KillerRecording(Recording):
    """The recording it copies, except that decoding its frames ends the process at once."""

    def frames(self):
        os.kill(os.getpid(), signal.SIGKILL)

    @classmethod
    def like(cls, rec: Recording) -> KillerRecording:
        return cls(**asdict(rec))
