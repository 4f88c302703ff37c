"""Files shipped with rppg (installed as the ``rppg.data`` package): trained mask weights."""
