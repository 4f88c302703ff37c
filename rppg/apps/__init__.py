"""The uses of rppg, each on the one chain, and every file they write.

| module | what |
|---|---|
| ``cli`` | the ``rppg`` command: parser, usage, exit codes |
| ``commands`` | each command's arguments beside what it runs; ``options``: what they share |
| ``mask_commands`` | the mask's commands: ``train`` and ``export-mask`` |
| ``process_many`` | many videos at once, no ground truth: a folder each and ``summary.csv`` |
| ``evaluate`` | every method on every recording of a dataset (cache, workers, resume) |
| ``scoring`` | predictions against the reference: the rows, beat and breathing scores, metrics |
| ``train`` | the training loop of the skin mask; ``train_data``: its crops, split and clips |
| ``live`` | the live display (window or headless JSON) and the session recorder |
| ``report`` | the artifacts: ``process --out``, evaluation tables and plots, training curves |
| ``mask_pictures`` | ``mask.png`` and ``mask_overlay.png``: the mean crop, region and mask |
| ``figures`` | the figure helpers and the quality labels' colours |

Nothing below ``apps`` imports it.
"""
