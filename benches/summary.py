#!/usr/bin/env python3
"""Prints the benchmark table of the guide (src/guide/performance.md) from criterion's last run.

    cargo bench --bench cancel --bench paths --bench engine && python3 benches/summary.py

Ratios first, each against its floor or ceiling from the same run and with
its goal (issue 12): cancel over its floor at N = 1, 3, 16, 100; the engine
over bare calls; the engine's two-thread speed-up over the machine's; a due
timer among 100 000 calls over one among 1000; the wire and the replay over
serde_json doing only the parsing and writing. Then every benchmark's mean
time (and throughput where it has one), then the machine.
"""
import json
import os
import pathlib
import platform
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[1] / "target" / "criterion"


def directories():
    """Benchmark id -> its folder (criterion turns '/' in group names into '_')."""
    found = {}
    for meta in ROOT.glob("**/new/benchmark.json"):
        found[json.loads(meta.read_text())["full_id"]] = meta.parent
    return found


DIRS = directories() if ROOT.exists() else {}


def folder(bench_id):
    if bench_id not in DIRS:
        raise FileNotFoundError(bench_id)
    return DIRS[bench_id]


def estimate(bench_id):
    data = json.loads((folder(bench_id) / "estimates.json").read_text())
    return data["mean"]["point_estimate"]  # nanoseconds


def throughput(bench_id):
    return json.loads((folder(bench_id) / "benchmark.json").read_text()).get("throughput")


def human(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.0f} ns"


def cpu():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def ratio(numerator, denominator):
    """numerator's mean over denominator's, both from criterion's last run."""
    return estimate(numerator) / estimate(denominator)


# Each ratio with its goal: (what, value(), goal text, met(value)).
RATIOS = [
    *[(f"`cancel/engine/{n}` ÷ `cancel/floor/{n}`",
       (lambda n=n: ratio(f"cancel/engine/{n}", f"cancel/floor/{n}")),
       "≤ 2x" if n == 1 else "≤ 1.5x",
       (lambda v, n=n: v <= (2.0 if n == 1 else 1.5)))
      for n in (1, 3, 16, 100)],
    ("`engine/ops/1thread` ÷ `engine/ops/bare_calls` (the engine's overhead)",
     lambda: ratio("engine/ops/1thread", "engine/ops/bare_calls"), "≤ 1.25x", lambda v: v <= 1.25),
    ("engine speed-up on 2 threads ÷ the machine's (`ceiling_1thread` ÷ `ceiling_2threads`)",
     lambda: ratio("engine/ops/1thread", "engine/ops/2threads")
     / ratio("engine/ops/ceiling_1thread", "engine/ops/ceiling_2threads"),
     "≥ 0.9", lambda v: v >= 0.9),
    ("the same through `CallHandle`s (`1thread_handles` ÷ `bare_calls`)",
     lambda: ratio("engine/ops/1thread_handles", "engine/ops/bare_calls"), "≤ 1.25x",
     lambda v: v <= 1.25),
    ("the same speed-up through `CallHandle`s",
     lambda: ratio("engine/ops/1thread_handles", "engine/ops/2threads_handles")
     / ratio("engine/ops/ceiling_1thread", "engine/ops/ceiling_2threads"),
     "≥ 0.9", lambda v: v >= 0.9),
    ("the same speed-up when each thread owns its shards and drains only them "
     "(`1thread_own_shards` ÷ `2threads_own_shards`)",
     lambda: ratio("engine/ops/1thread_own_shards", "engine/ops/2threads_own_shards")
     / ratio("engine/ops/ceiling_1thread", "engine/ops/ceiling_2threads"),
     "≥ 0.9", lambda v: v >= 0.9),
    ("`engine/timeout/100000` ÷ `engine/timeout/1000`",
     lambda: ratio("engine/timeout/100000", "engine/timeout/1000"), "≤ 2x", lambda v: v <= 2.0),
    ("`wire/request_to_response` ÷ `wire/request_to_response_floor`",
     lambda: ratio("wire/request_to_response", "wire/request_to_response_floor"), "≤ 1.5x",
     lambda v: v <= 1.5),
    ("`wire/notification_json` ÷ `wire/notification_json_floor`",
     lambda: ratio("wire/notification_json", "wire/notification_json_floor"), "≤ 1.2x",
     lambda v: v <= 1.2),
    ("`replay/10000_lines` ÷ `replay/10000_lines_floor`",
     lambda: ratio("replay/10000_lines", "replay/10000_lines_floor"), "≤ 2x", lambda v: v <= 2.0),
    # Context, no goal of their own: the wire request on a cold engine, and
    # the replay against a floor that also writes its output.
    ("`wire/request_to_response_cold_engine` ÷ `wire/request_to_response_floor`",
     lambda: ratio("wire/request_to_response_cold_engine", "wire/request_to_response_floor"),
     "—", lambda v: None),
    ("`replay/10000_lines` ÷ `replay/10000_lines_floor_with_output`",
     lambda: ratio("replay/10000_lines", "replay/10000_lines_floor_with_output"),
     "—", lambda v: None),
]


def main():
    print("| ratio (one criterion run) | value | goal | met |")
    print("|---|---|---|---|")
    for what, value, goal, met in RATIOS:
        try:
            v = value()
        except FileNotFoundError as missing:
            print(f"| {what} | not run ({missing}) | {goal} | |")
            continue
        print(f"| {what} | {v:.2f} | {goal} | { {True: 'yes', False: 'no', None: '—'}[met(v)] } |")
    print()
    print("| benchmark | mean | throughput |")
    print("|---|---|---|")
    ids = [f"cancel/{side}/{n}" for n in (1, 3, 16, 100) for side in ("engine", "floor")]
    ids += ["enqueue/play_prompt", "tone/delivery", "wire/request_to_response",
            "wire/request_to_response_floor", "wire/request_to_response_cold_engine",
            "wire/notification_json",
            "wire/notification_json_floor", "replay/10000_lines", "replay/10000_lines_floor",
            "replay/10000_lines_floor_with_output",
            "engine/ops/1thread", "engine/ops/2threads", "engine/ops/1thread_handles",
            "engine/ops/2threads_handles", "engine/ops/1thread_own_shards",
            "engine/ops/2threads_own_shards", "engine/ops/bare_calls",
            "engine/ops/ceiling_1thread", "engine/ops/ceiling_2threads", "engine/timeout/1000",
            "engine/timeout/100000", "engine/snapshot", "engine/restore"]
    for bench_id in ids:
        try:
            ns = estimate(bench_id)
        except FileNotFoundError:
            print(f"| `{bench_id}` | not run | |")
            continue
        rate = ""
        tp = throughput(bench_id)
        if tp and "Bytes" in tp:
            rate = f"{tp['Bytes'] / ns * 1e9 / 2**20:.0f} MiB/s"
        elif tp and "Elements" in tp:
            rate = f"{tp['Elements'] / ns * 1e9 / 1e3:.0f}k lines/s"
        print(f"| `{bench_id}` | {human(ns)} | {rate} |")
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    print()
    print(f"Machine: {cpu()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; {rustc}.")


if __name__ == "__main__":
    main()
