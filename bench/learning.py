#!/usr/bin/env python3
"""The learning strategies over the simulator's scenarios: concurrency 429s, goodput against the oracle's, settling.

    learning.py --console build/src/app/aether-console [--seeds 5] [--sim ../shared/sim] [--markdown FILE]

Part 1 runs the console's own simulator (aether-console --simulate, in memory) over every built-in scenario with
seeds s, s+100, ... (as sim.py --seeds does). Part 2, when the shared simulator is there, drives the console through
its store with sim.py --external (aether-console --learner-peer --strategy NAME) over the suite. Prints Markdown.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

REFERENCE, CANDIDATE = "aether_aimd", "aether_ceiling"


def run_builtin(console, seeds):
    names = subprocess.check_output([console, "--list-strategies"], text=True).splitlines()
    strategies = [line.split("\t")[0] for line in names]
    scenario_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "scenarios")
    per = collections.OrderedDict()
    for file in sorted(os.listdir(scenario_dir)):
        if not file.endswith(".json"):
            continue
        with open(os.path.join(scenario_dir, file)) as f:
            d = json.load(f)
        rows = collections.defaultdict(list)
        for k in range(seeds):
            args = [console, "--simulate", file[:-5], "--seed", str(d.get("seed", 1) + 100 * k), "--json"]
            for s in strategies:
                args += ["--strategy", s]
            out = json.loads(subprocess.check_output(args, text=True))
            for r in out["results"]:
                rows[r["strategy"]].append(r)
        per[d["name"]] = (d.get("suite", True), d.get("limit"), rows)
    return strategies, per


def settle_worst(runs, reference_runs, limits):
    """The longest settling after a change of the limit (phases after the first), over the runs; None = never. A phase
    that neither the strategy nor the reference ever settles in (demand below the limit) is left out."""
    if len(limits) < 2:
        return "-"
    worst = 0
    for r, ref in zip(runs, reference_runs):
        for s, t in zip(r["settle_s"][1:], ref["settle_s"][1:]):
            if s is None and t is None:
                continue
            if s is None:
                return None
            worst = max(worst, s)
    return worst


def table_builtin(strategies, per, seeds):
    lines = [f"Console simulator, {seeds} seeds a scenario (sums of concurrency 429s; goodput / oracle averaged):", "",
             "| scenario | " + " | ".join(f"{s}: 429s, goodput" for s in strategies) + f" | {CANDIDATE} / {REFERENCE} 429s "
             "| worst settle after a change (s) | verdict |",
             "|---|" + "---|" * (len(strategies) + 3)]
    totals = collections.Counter()
    goodputs = collections.defaultdict(list)
    failures = []
    for name, (suite, limits, rows) in per.items():
        cells = []
        for s in strategies:
            n = sum(r["concurrency_429"] for r in rows[s])
            g = sum(r["goodput_vs_oracle"] for r in rows[s]) / len(rows[s])
            cells.append(f"{n}, {g:.3f}")
            if suite:
                totals[s] += n
                goodputs[s].append(g)
        ref_n = sum(r["concurrency_429"] for r in rows[REFERENCE])
        cand_n = sum(r["concurrency_429"] for r in rows[CANDIDATE])
        ref_g = sum(r["goodput_vs_oracle"] for r in rows[REFERENCE]) / len(rows[REFERENCE])
        cand_g = sum(r["goodput_vs_oracle"] for r in rows[CANDIDATE]) / len(rows[CANDIDATE])
        ratio = cand_n / ref_n if ref_n else (0.0 if cand_n == 0 else float("inf"))
        settle = settle_worst(rows[CANDIDATE], rows[REFERENCE], limits)
        ok = (cand_n <= 1.5 * ref_n or cand_n <= 3 * seeds) and cand_g >= ref_g - 0.02 and \
            (settle in ("-",) or (settle is not None and settle <= 300))
        if not ok:
            failures.append(name)
        lines.append(f"| {name}{'' if suite else ' (own)'} | " + " | ".join(cells) +
                     f" | {ratio:.2f} | {settle if settle is not None else 'never'} | {'ok' if ok else 'MISSED'} |")
    lines.append("")
    for s in strategies:
        lines.append(f"- suite total ({len(goodputs[s])} scenarios x {seeds} seeds) {s}: {totals[s]} concurrency 429s "
                     f"({100 * totals[s] / max(1, totals[REFERENCE]):.1f} % of {REFERENCE}'s), mean goodput "
                     f"{sum(goodputs[s]) / len(goodputs[s]):.3f} of the oracle's, worst scenario {min(goodputs[s]):.3f}")
    lines.append(f"- scenarios that miss a bound (429s <= 1.5x the reference's or at most 3 a run, goodput >= the "
                 f"reference's - 0.02, settled within 300 s after each change): {', '.join(failures) or 'none'}")
    return "\n".join(lines)


def run_shared(console, sim_dir, seeds):
    """sim.py --external over the shared suite and the project's own scenarios: the suite summary, then per scenario."""
    own_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "scenarios")
    shared = [os.path.join(sim_dir, "scenarios", f) for f in sorted(os.listdir(os.path.join(sim_dir, "scenarios")))]
    own = [os.path.join(own_dir, f) for f in sorted(os.listdir(own_dir))
           if f.endswith(".json") and not os.path.exists(os.path.join(sim_dir, "scenarios", f))]
    with tempfile.TemporaryDirectory() as tmp:
        out, md = os.path.join(tmp, "r.json"), os.path.join(tmp, "r.md")
        externals = []
        for s in (CANDIDATE, REFERENCE):
            externals += ["--external", f"console_{s}={console} --learner-peer --strategy {s}"]
        subprocess.run([sys.executable, os.path.join(sim_dir, "sim.py"), "--seeds", str(seeds), "--algos",
                        "aether_aimd,oracle", "--trace-algos", "", "--traces", tmp, "--out", out, "--md", md,
                        "--scenarios"] + shared + own + externals, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        with open(md) as f:
            text = f.read()
        with open(out) as f:
            results = json.load(f)
    summary = text[text.index("**Suite summary**"):]
    per = collections.OrderedDict()
    for name, runs in results.items():
        base = name.split("#")[0]
        entry = per.setdefault(base, collections.defaultdict(list))
        oracle = runs["oracle"]["goodput_util"]
        for learner in ("console_" + CANDIDATE, "console_" + REFERENCE):
            r = runs[learner]
            entry[learner].append((r["n429_concurrency"], r["goodput_util"] / oracle if oracle else 0.0, r["conv_s"]))
    lines = ["", "Per scenario (sim.py, the console through its store; 429s summed, goodput / oracle averaged):", "",
             f"| scenario | {CANDIDATE}: 429s, goodput | {REFERENCE}: 429s, goodput | worst settle after a change (s) "
             "| verdict |", "|---|---|---|---|---|"]
    for base, entry in per.items():
        cand, ref = entry["console_" + CANDIDATE], entry["console_" + REFERENCE]
        cn, rn = sum(x[0] for x in cand), sum(x[0] for x in ref)
        cg, rg = sum(x[1] for x in cand) / len(cand), sum(x[1] for x in ref) / len(ref)
        # Phases after the first (changes of the limit); one that neither strategy ever settles in (demand below the
        # limit, a limit above the policy's maximum) says nothing about the strategy and is left out.
        settles = [c for x, y in zip(cand, ref) for c, d in zip(x[2][1:], y[2][1:]) if c is not None or d is not None]
        settle = "-" if not settles else ("never" if None in settles else max(settles))
        ok = (cn <= 1.5 * rn or cn <= 3 * seeds) and cg >= rg - 0.02 and settle != "never" and \
            (settle == "-" or settle <= 300)
        lines.append(f"| {base} | {cn}, {cg:.3f} | {rn}, {rg:.3f} | {settle} | {'ok' if ok else 'MISSED'} |")
    return (f"Shared simulator (sim.py --external, the console through its store), {seeds} seeds:\n\n" + summary +
            "\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--console", required=True)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--sim", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "sim"))
    ap.add_argument("--skip-shared", action="store_true")
    a = ap.parse_args()
    strategies, per = run_builtin(a.console, a.seeds)
    print(table_builtin(strategies, per, a.seeds))
    if not a.skip_shared and os.path.exists(os.path.join(a.sim, "sim.py")):
        print()
        print(run_shared(a.console, a.sim, a.seeds))


if __name__ == "__main__":
    main()
