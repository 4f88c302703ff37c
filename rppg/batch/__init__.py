"""Many recordings at once: where they run and what survives a fault.

| module | what |
|---|---|
| ``parallel`` | ``run_all``: one map over many items, in this process, a local pool or on Dask |
| ``flight`` | the bounded-submission loop both runners feed their work through |
| ``cluster`` | Dask (optional, ``rppg[cluster]``): a LocalCluster or a running scheduler |
| ``cache`` | on-disk caches of per-recording arrays (traces, crops), keyed by their inputs |
| ``resume`` | results kept one file per item as they finish, so a stopped run resumes |

Nothing here knows about faces or pulses: the work is a function handed in.
"""
