"""The one chain every use runs: a recording's face crops -> colour trace -> pulse -> heart
rate, its quality and the rest, offline (whole recordings) and live (one frame at a time).

| module | what |
|---|---|
| ``trace`` | face crops -> one RGB sample per frame and weighting (uniform, or the learned mask) |
| ``methods`` | the pulse methods by name: which trace each reads, how it projects it |
| ``pipeline`` | the steps (extract_trace, pulse_of, heart_rate, rate_quality, extras), analyse |
| ``faces`` | several faces: each face's trace over its own span, and its result |
| ``process`` | a video to what ``rppg process`` reports (``process_video``): one face or every face |
| ``quality`` | labels (good, fair, poor, none) and their reasons, for windows and recordings |
| ``streaming`` | the live estimator: push a frame, get the current heart rate |
| ``reference`` | the ground truth's heart rate and beats, read as a prediction is |

Its modules are imported by name (``from rppg.chain.process import process_video``);
``rppg.process_video``, ``rppg.process_faces`` and ``rppg.StreamingEstimator`` are the short
ways in.
"""
