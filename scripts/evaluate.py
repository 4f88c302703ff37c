"""Batch evaluation over a dataset; the same arguments as ``rppg evaluate``.

python scripts/evaluate.py --dataset ubfc --root /data/UBFC/DATASET_2 --methods pos,chrom
"""

import sys

from rppg.apps.cli import main

if __name__ == "__main__":
    sys.exit(main(["evaluate", *sys.argv[1:]]))
