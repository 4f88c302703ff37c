"""``python -m rppg`` runs the ``rppg`` command."""

from rppg.cli import run

run()
