"""``python -m rppg`` runs the ``rppg`` command."""

from rppg.apps.cli import run

run()
