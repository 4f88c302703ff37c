"""Write a synthetic dataset of several subjects with mixed conditions, in any layout.

    python scripts/make_synthetic_set.py out/ubfc6 --format ubfc --subjects 6 --duration 30

Conditions vary per subject (heart rate 50-140 bpm, motion, noise, light drift and flicker,
heart-rate drift, non-skin distractors, PPG lag); ``--seed`` makes the set reproducible.
"""

import argparse

from rppg.synth.layouts import write_dataset
from rppg.synth.spec import mixed_specs


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--format", default="ubfc")
    p.add_argument("--subjects", type=int, default=6)
    p.add_argument("--duration", type=float, default=30.0)
    p.add_argument("--size", default="640x480")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--distractor", type=float, help="distractor amplitude for every subject")
    a = p.parse_args()
    width, height = (int(v) for v in a.size.split("x"))
    fixed = dict(duration_s=a.duration, width=width, height=height)
    if a.distractor is not None:
        fixed["distractor_amplitude"] = a.distractor
    for path in write_dataset(mixed_specs(a.subjects, a.seed, **fixed), a.out, a.format):
        print(path)


if __name__ == "__main__":
    main()
