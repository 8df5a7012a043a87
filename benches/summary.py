#!/usr/bin/env python3
"""Prints the benchmark table of the README from criterion's last run.

    cargo bench --bench cancel --bench paths && python3 benches/summary.py

Ratios first (cancel/engine/N over cancel/floor/N, both from the same run),
then every benchmark's mean time (and throughput where it has one), then the
machine.
"""
import json
import os
import pathlib
import platform
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[1] / "target" / "criterion"


def estimate(bench_id):
    path = ROOT.joinpath(*bench_id.split("/"), "new", "estimates.json")
    data = json.loads(path.read_text())
    return data["mean"]["point_estimate"]  # nanoseconds


def throughput(bench_id):
    path = ROOT.joinpath(*bench_id.split("/"), "new", "benchmark.json")
    data = json.loads(path.read_text())
    return data.get("throughput")


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
    print("| benchmark | mean | throughput |")
    print("|---|---|---|")
    ids = [f"cancel/{side}/{n}" for n in (1, 16, 100) for side in ("engine", "floor")]
    ids += ["enqueue/play_prompt", "tone/delivery", "wire/request_to_response",
            "wire/notification_json", "replay/10000_lines"]
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
