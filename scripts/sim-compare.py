#!/usr/bin/env python3
"""Runs the simulator (../shared/sim) with the console's learner peer beside the in-process reference model and checks
that the peer reproduces the reference exactly: the same metrics in every scenario and seed, and byte-identical event
traces (apart from the learner's name in the trace header).

    scripts/sim-compare.py BUILD/src/app/aether-console [--seeds 5] [--sim ../shared/sim] [--keep DIR]

Exit status 0 = identical. Prints the simulator's table (reference, ours) and a line per scenario.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("program", help="the aether-console binary")
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--strategy", default=None, help="--strategy for the peer (default: the peer's default)")
    ap.add_argument("--sim", default=os.path.join(here, "..", "..", "shared", "sim"))
    ap.add_argument("--keep", default=None, help="write results and traces here instead of a temporary folder")
    ap.add_argument("--verbose", action="store_true", help="show the simulator's progress")
    a = ap.parse_args()
    if not os.path.isfile(os.path.join(a.sim, "sim.py")):
        # A clone without the shared material beside it: nothing to compare with (CTest reports a skip).
        print("skipped: the simulator is not at %s (../shared/sim beside the repository)" % os.path.abspath(a.sim))
        return 1 if os.environ.get("CI") else 77

    out = a.keep or tempfile.mkdtemp(prefix="aether-sim-")
    os.makedirs(out, exist_ok=True)
    peer = shlex.quote(os.path.abspath(a.program)) + " --learner-peer"
    if a.strategy:
        peer += " --strategy " + shlex.quote(a.strategy)
    cmd = [sys.executable, os.path.join(a.sim, "sim.py"), "--algos", "aether_aimd,oracle", "--external", "ours=" + peer,
           "--trace-algos", "aether_aimd,ours", "--traces", os.path.join(out, "traces"),
           "--out", os.path.join(out, "results.json"), "--md", os.path.join(out, "results.md"),
           "--seeds", str(a.seeds)]
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL if not a.verbose else None)

    with open(os.path.join(out, "results.json")) as f:
        results = json.load(f)
    differences = 0
    for name, by_algo in results.items():
        ref, ours = by_algo["aether_aimd"], by_algo["ours"]
        diff = sorted(k for k in set(ref) | set(ours) if ref.get(k) != ours.get(k))
        status = "identical" if not diff else "DIFFERENT in " + ", ".join(diff)
        differences += bool(diff)
        print(f"{name:20s} metrics {status}")
    traces = os.path.join(out, "traces")
    for file in sorted(os.listdir(traces)):
        if not file.endswith(".aether_aimd.jsonl"):
            continue
        mine = os.path.join(traces, file.replace(".aether_aimd.", ".ours."))
        with open(os.path.join(traces, file)) as f1, open(mine) as f2:
            h1, h2 = json.loads(f1.readline()), json.loads(f2.readline())
            h1.pop("learner"), h2.pop("learner")
            same = h1 == h2 and f1.read() == f2.read()
        differences += not same
        print(f"{file.split('.')[0]:20s} trace   {'identical' if same else 'DIFFERENT'}")
    print(f"{len(results)} runs, {differences} differences; results in {out}")
    return 0 if differences == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
