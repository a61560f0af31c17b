"""Run random clusters through Pacemaker and hafailover and print where they disagree.

    python3 tests/pacemaker/fuzz_agreement.py --seeds 0:200 [--keep DIR]

Each seed gives a cluster (``random_cluster``), written as a CIB with ``write_cib``;
Pacemaker's decision comes from ``crm_simulate``, ours from ``read_cib`` + ``schedule`` on
the same CIB. Disagreeing CIBs are kept in DIR to be turned into hand-written cases in
``cibs/``. Exits 1 when any seed disagrees.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hafailover.pacemaker.cib_export import write_cib
from pacemaker import crm_simulate
from pacemaker.random_cluster import random_cluster
from pacemaker.test_agreement import in_process, normalize


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0:100", help="FIRST:END, END excluded")
    parser.add_argument("--keep", type=Path, help="directory for the CIBs that disagree")
    args = parser.parse_args(argv)
    first, end = (int(x) for x in args.seeds.split(":"))
    keep: Path = args.keep or Path(tempfile.mkdtemp(prefix="hafailover-fuzz-"))
    keep.mkdir(parents=True, exist_ok=True)
    disagreements = 0
    for seed in range(first, end):
        config, state = random_cluster(seed)
        cib = keep / f"seed-{seed}.xml"
        cib.write_text(write_cib(config, state), encoding="utf-8")
        outcome = crm_simulate.simulate(cib)
        theirs = (normalize(outcome.placement), outcome.fenced)
        ours = in_process(cib)
        if ours == theirs:
            cib.unlink()
            continue
        disagreements += 1
        print(f"seed {seed}: {cib}\n  pacemaker: {theirs}\n  hafailover: {ours}")
    print(f"{disagreements} of {end - first} random clusters disagree")
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
