#!/usr/bin/env python3
"""Writes the fuzz seed corpora from the scenario tests (tests/scenarios).

    python3 fuzz/make_corpus.py [path/to/ivr-replay]

- corpus/replay_scenario: the scenarios themselves;
- corpus/wire_request: each request as "METHOD\\nURL\\nBODY";
- corpus/call_inputs: each scenario in call_inputs' byte encoding;
- corpus/notifications: each notification ivr-replay prints for them
  (only when the ivr-replay binary is given);
- corpus/snapshot_restore: each call snapshot golden under tests/snapshots
  as it is, and with a NUL and steps that drive the restored call; and the
  goldens built into the target, each unmutated with the same steps.
"""
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent
SCENARIOS = ROOT.parent / "tests" / "scenarios"
SNAPSHOTS = ROOT.parent / "tests" / "snapshots"
# snapshot_restore steps: media inputs to the active operation (finished,
# beep finished, speech, stored), keys, timers, a play, a record, a
# collection, a subscription, a cancel, time, a GET, a hang-up.
SNAPSHOT_STEPS = bytes([
    5, 1, 0, 6, 1, 3, 8, 11, 8, 1, 10, 7, 1, 5, 7, 1, 6, 10, 5, 1, 9,
    0, 2, 1, 1, 3, 2, 2, 3, 2, 13, 1, 3, 50, 50, 3, 8, 2, 8, 11,
    4, 1, 11, 20, 10, 13, 0, 12,
])
TONES = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", "A", "B", "C", "D"]
MEDIA = {
    "playbackFinished": (5, 2), "beepFinished": (6, 1), "beepFailed": (6, 0),
    "speechStarted": (7, 0), "speechStopped": (7, 1), "mediaReceiveTimeout": (7, 2),
    "recordingFailed": (8, 0),
}


def call_inputs(lines):
    calls, out, now = {}, bytearray(), 0
    call = lambda name: calls.setdefault(name, len(calls) % 2)
    for line in lines:
        if "at_ms" not in line:
            continue
        while line["at_ms"] - now >= 100:
            step = min((line["at_ms"] - now) // 100, 255)
            out += bytes([11, step])
            now += step * 100
        req, ev = line.get("request"), line.get("event")
        cancel, collect = line.get("cancel"), line.get("collectDigits")
        if isinstance(cancel, dict):
            scope = cancel.get("scope", "all")
            if scope == "current":
                out += bytes([4, call(cancel.get("call", "c0")), 2])
            elif isinstance(scope, dict) and "operation" in scope:
                out += bytes([4, call(cancel.get("call", "c0")), 3, 0])
            elif isinstance(scope, dict):
                out += bytes([4, call(cancel.get("call", "c0")), 4])
            else:
                out += bytes([4, call(cancel.get("call", "c0")), 0])
        elif isinstance(collect, dict):
            prompts = collect.get("prompts") or []
            terminators = collect.get("terminators", ["#"])
            flags = min(len(prompts), 2) | (4 if collect.get("bargeIn", True) else 0)
            flags |= (16 if "#" in terminators else 0) | (8 if "*" in terminators else 0)
            flags |= 32 if collect.get("clientContext") else 0
            ms = lambda key, default: min(int(collect.get(key, default)) // 40, 255)
            out += bytes([3, 1, call(collect.get("call", "c0")), flags]) + bytes(range(flags % 3))
            out += bytes([collect.get("minDigits", 1) % 256, collect.get("maxDigits", 32) % 256,
                          ms("firstDigitTimeoutMs", 5000), ms("interDigitTimeoutMs", 3000)])
        elif req:
            url = req.get("url", "")
            beta = 0x80 if "/beta/" in url else 0
            parts = url.split("?")[0].rstrip("/").split("/")
            target = call(parts[parts.index("calls") + 1]) if "calls" in parts and len(parts) > parts.index("calls") + 1 else 0
            action = parts[-1].split(".")[-1]
            body = req.get("body") if isinstance(req.get("body"), dict) else {}
            method = req.get("method", "POST").upper()
            if method == "DELETE":
                out += bytes([14, target])
            elif method == "GET":
                out += bytes([15, target, 0])
            elif action == "playPrompt":
                prompts = body.get("prompts") or []
                n = len(prompts) if isinstance(prompts, list) else 0
                out += bytes([1 | beta, target, n % 22]) + bytes(range(n % 22)) + bytes([0 if body.get("loop") else 1, 1])
            elif action in ("recordResponse", "record"):
                flags = (1 if body.get("prompts") else 0) | (2 if body.get("playBeep", True) else 0) | (4 if body.get("bargeInAllowed") else 0) | 0xF8
                secs = [min(int(body.get(k, 5)) if isinstance(body.get(k, 5), int) else 5, 255) for k in
                        ("initialSilenceTimeoutInSeconds", "maxSilenceTimeoutInSeconds", "maxRecordDurationInSeconds")]
                out += bytes([2 | beta, target, flags]) + (bytes([7]) if flags & 1 else b"") + bytes(s % 256 for s in secs)
            elif action == "subscribeToTone":
                out += bytes([3 | beta, 0, target])
            elif action == "cancelMediaProcessing":
                out += bytes([4 | beta, target, 0])
        elif ev:
            target = call(line.get("call", "c0"))
            if ev == "callEstablished":
                out += bytes([0, target])
            elif ev == "callTerminated":
                out += bytes([13, target])
            elif ev == "tone":
                tone = line.get("tone", "1")
                out += bytes([10, target, TONES.index(tone) if tone in TONES else 11])
            elif ev == "playbackFailed":
                out += bytes([5, target, 0, 0 if line.get("reason", "download") == "download" else 1])
            elif ev in MEDIA:
                tag, kind = MEDIA[ev]
                out += bytes([tag, target, 0, kind])
        out += bytes([12, 0])
    return bytes(out)


def snapshot_restore(corpus):
    """Seeds for snapshot_restore from the goldens."""
    corpus.mkdir(parents=True, exist_ok=True)
    goldens = sorted(p for p in SNAPSHOTS.glob("*/*.snapshot.json") if "engine" not in p.parent.name)
    for path in goldens:
        name = f"{path.parent.name}-{path.name.removesuffix('.snapshot.json')}"
        data = path.read_bytes()
        (corpus / name).write_bytes(data)
        (corpus / f"{name}-driven").write_bytes(data + b"\0" + SNAPSHOT_STEPS)
    # The target's built-in goldens, by index, unmutated.
    target = (ROOT / "fuzz_targets" / "snapshot_restore.rs").read_text()
    built_in = target.count('include_bytes!("../../tests/snapshots/')
    for i in range(built_in):
        (corpus / f"built-in-{i}").write_bytes(bytes([i, 0]) + SNAPSHOT_STEPS)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else None
    snapshot_restore(ROOT / "corpus" / "snapshot_restore")
    dirs = {name: ROOT / "corpus" / name for name in ("replay_scenario", "wire_request", "call_inputs", "notifications")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    for path in sorted(SCENARIOS.glob("*.jsonl")):
        text = path.read_text()
        (dirs["replay_scenario"] / path.name).write_text(text)
        lines = [json.loads(l) for l in text.splitlines() if l.strip() and not l.lstrip().startswith("//")]
        for i, line in enumerate(l for l in lines if "request" in l):
            req = line["request"]
            body = req.get("rawBody") if "rawBody" in req else (json.dumps(req["body"]) if "body" in req else "")
            seed = f"{req.get('method', 'POST')}\n{req['url'].replace('$op1', '00000000-0000-4000-8000-000000000001')}\n{body}"
            (dirs["wire_request"] / f"{path.stem}-{i}").write_text(seed)
        (dirs["call_inputs"] / path.stem).write_bytes(call_inputs(lines))
        if binary:
            out = subprocess.run([binary, "--seed", "1", str(path)], capture_output=True, text=True).stdout
            for i, record in enumerate(json.loads(l) for l in out.splitlines()):
                if "notification" in record:
                    (dirs["notifications"] / f"{path.stem}-{i}").write_text(json.dumps(record["notification"]))


if __name__ == "__main__":
    main()
