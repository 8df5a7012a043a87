#!/usr/bin/env python3
"""Prints the benchmark table of the README from criterion's last run.

    cargo bench --bench cancel --bench paths --bench engine && python3 benches/summary.py

Ratios first (cancel/engine/N over cancel/floor/N, both from the same run;
the engine's scaling over two threads; a due timer among 100 000 calls over
one among 1000), then every benchmark's mean time (and throughput where it
has one), then the machine.
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


def main():
    print("| N | cancel/engine/N ÷ cancel/floor/N |")
    print("|---|---|")
    for n in (1, 16, 100):
        print(f"| {n} | {estimate(f'cancel/engine/{n}') / estimate(f'cancel/floor/{n}'):.2f}x |")
    print()
    print("| engine | ratio | goal |")
    print("|---|---|---|")
    try:
        print(f"| `engine/ops/1thread` ÷ `engine/ops/2threads` (scaling) | {estimate('engine/ops/1thread') / estimate('engine/ops/2threads'):.2f}x | ≥ 1.7x |")
        print(f"| `engine/timeout/100000` ÷ `engine/timeout/1000` | {estimate('engine/timeout/100000') / estimate('engine/timeout/1000'):.2f}x | ≤ 2x |")
    except FileNotFoundError:
        print("| engine benchmarks | not run | |")
    print()
    print("| benchmark | mean | throughput |")
    print("|---|---|---|")
    ids = [f"cancel/{side}/{n}" for n in (1, 16, 100) for side in ("engine", "floor")]
    ids += ["enqueue/play_prompt", "tone/delivery", "wire/request_to_response",
            "wire/notification_json", "replay/10000_lines",
            "engine/ops/1thread", "engine/ops/2threads", "engine/timeout/1000",
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
