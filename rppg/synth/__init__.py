"""Synthetic face videos with a known pulse: :mod:`~rppg.synth.spec` (what a recording
is), :mod:`~rppg.synth.scene` (rendering it, and its ground truth),
:mod:`~rppg.synth.layouts` (writing it in each dataset's layout) and
:mod:`~rppg.synth.crowd` (several people in one frame; real recordings side by side).

    from rppg.synth.layouts import write_recording
    from rppg.synth.spec import SynthSpec
    path = write_recording(SynthSpec(hr_bpm=75, duration_s=30), "out/", "ubfc")
"""
