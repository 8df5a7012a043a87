"""Wire compatibility with the official Microsoft Graph Python SDKs.

1. Builds request bodies with the SDK models (msgraph-sdk for v1.0,
   msgraph-beta-sdk for beta), serialized the way a Python bot sends them,
   and drives every end state of every operation with them through
   ivr-replay. Every SDK-built request must be accepted.
2. Parses everything ivr-replay prints, for those scenarios and for every
   scenario in tests/scenarios, with the SDK of the operation's API version:
   every operation parses to the right type, every enum value is known, and
   no property is unknown to the SDK (OData annotations aside, and the
   documented completionReason on v1.0 record cancellations).

Usage: python check_sdk.py PATH_TO_IVR_REPLAY
Prints a summary line "sdk-compat: N passed, M failed" last; exit 1 on any
problem.
"""
import json
import pathlib
import subprocess
import sys

from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
from kiota_serialization_json.json_serialization_writer import JsonSerializationWriter

from msgraph.generated.communications.calls.item.cancel_media_processing.cancel_media_processing_post_request_body import (
    CancelMediaProcessingPostRequestBody as V1Cancel,
)
from msgraph.generated.communications.calls.item.play_prompt.play_prompt_post_request_body import (
    PlayPromptPostRequestBody as V1Play,
)
from msgraph.generated.communications.calls.item.record_response.record_response_post_request_body import (
    RecordResponsePostRequestBody as V1Record,
)
from msgraph.generated.communications.calls.item.subscribe_to_tone.subscribe_to_tone_post_request_body import (
    SubscribeToTonePostRequestBody as V1Subscribe,
)
from msgraph.generated.models.call import Call as V1Call
from msgraph.generated.models.comms_operation import CommsOperation as V1Operation
from msgraph.generated.models.media_info import MediaInfo as V1MediaInfo
from msgraph.generated.models.media_prompt import MediaPrompt as V1MediaPrompt
from msgraph_beta.generated.communications.calls.item.cancel_media_processing.cancel_media_processing_post_request_body import (
    CancelMediaProcessingPostRequestBody as BetaCancel,
)
from msgraph_beta.generated.communications.calls.item.play_prompt.play_prompt_post_request_body import (
    PlayPromptPostRequestBody as BetaPlay,
)
from msgraph_beta.generated.communications.calls.item.record.record_post_request_body import (
    RecordPostRequestBody as BetaRecordAlias,
)
from msgraph_beta.generated.communications.calls.item.record_response.record_response_post_request_body import (
    RecordResponsePostRequestBody as BetaRecord,
)
from msgraph_beta.generated.communications.calls.item.subscribe_to_tone.subscribe_to_tone_post_request_body import (
    SubscribeToTonePostRequestBody as BetaSubscribe,
)
from msgraph_beta.generated.models.call import Call as BetaCall
from msgraph_beta.generated.models.comms_operation import CommsOperation as BetaOperation
from msgraph_beta.generated.models.media_info import MediaInfo as BetaMediaInfo
from msgraph_beta.generated.models.media_prompt import MediaPrompt as BetaMediaPrompt

ROOT = pathlib.Path(__file__).resolve().parents[2]
FACTORY = JsonParseNodeFactory()
OP_CLASSES = {
    "#microsoft.graph.playPromptOperation": "PlayPromptOperation",
    "#microsoft.graph.recordOperation": "RecordOperation",
    "#microsoft.graph.subscribeToToneOperation": "SubscribeToToneOperation",
    "#microsoft.graph.cancelMediaProcessingOperation": "CancelMediaProcessingOperation",
}

SDK = {
    "v1.0": dict(
        Play=V1Play, Record=V1Record, Subscribe=V1Subscribe, Cancel=V1Cancel,
        Prompt=V1MediaPrompt, Info=V1MediaInfo, Operation=V1Operation, Call=V1Call,
    ),
    "beta": dict(
        Play=BetaPlay, Record=BetaRecord, Subscribe=BetaSubscribe, Cancel=BetaCancel,
        Prompt=BetaMediaPrompt, Info=BetaMediaInfo, Operation=BetaOperation, Call=BetaCall,
    ),
}


def serialize(model):
    writer = JsonSerializationWriter()
    writer.write_object_value(None, model)
    return json.loads(writer.get_serialized_content().decode())


def parse(doc, model):
    node = FACTORY.get_root_parse_node("application/json", json.dumps(doc).encode())
    return node.get_object_value(model)


class Scenario:
    """Builds one ivr-replay scenario whose POST bodies come from the SDK."""

    def __init__(self, version, config=None):
        self.version = version
        self.sdk = SDK[version]
        self.lines = [{"config": config}] if config else []
        self.call = None
        self.t = 0

    def at(self, dt=0):
        self.t += dt
        return self.t

    def establish(self, call):
        self.call = call
        self.lines.append({"at_ms": self.at(), "event": "callEstablished", "call": call})

    def post(self, action, model, dt=1):
        url = f"https://graph.microsoft.com/{self.version}/communications/calls/{self.call}/{action}"
        self.lines.append({"at_ms": self.at(dt), "request": {"url": url, "body": serialize(model)}})

    def event(self, name, dt=100, **extra):
        self.lines.append({"at_ms": self.at(dt), "event": name, "call": self.call, **extra})

    def get(self, n, dt=1):
        url = f"https://graph.microsoft.com/{self.version}/communications/calls/{self.call}/operations/$op{n}"
        self.lines.append({"at_ms": self.at(dt), "request": {"method": "GET", "url": url}})

    def prompts(self, *uris):
        s = self.sdk
        return [s["Prompt"](media_info=s["Info"](uri=u, resource_id=f"res-{i}")) for i, u in enumerate(uris)]

    def play(self, context, *uris, **kw):
        self.post("playPrompt", self.sdk["Play"](client_context=context, prompts=self.prompts(*uris), **kw))

    def record(self, context, action="recordResponse", model=None, **kw):
        model = model or self.sdk["Record"]
        self.post(action, model(client_context=context, **kw))

    def text(self):
        return "\n".join(json.dumps(line) for line in self.lines) + "\n"


def sdk_scenarios():
    """Every operation and end state, per API version, driven by SDK bodies."""
    out = []
    for version in ("v1.0", "beta"):
        s = Scenario(version, {"beepMs": 100})
        n = 0
        s.establish(f"{version}-c1")
        s.post("subscribeToTone", s.sdk["Subscribe"](client_context="tones")); n += 1
        # playPrompt: completes after its three prompts.
        s.play("play", "https://x.test/1.wav", "https://x.test/2.wav", "https://x.test/3.wav"); n += 1
        s.get(n)
        for _ in range(3):
            s.event("playbackFinished")
        s.get(n)
        # playPrompt failures.
        s.play("download", "https://x.test/gone.wav"); n += 1
        s.event("playbackFailed", reason="download")
        s.play("format", "https://x.test/bad.wav"); n += 1
        s.event("playbackFailed", reason="format")
        # record: stop tone (SDK defaults send playBeep false explicitly).
        s.record("stop-tone", prompts=s.prompts("https://x.test/ask.wav"), play_beep=True,
                 stop_tones=["#", "1", "*"], max_record_duration_in_seconds=30,
                 initial_silence_timeout_in_seconds=10, max_silence_timeout_in_seconds=5); n += 1
        s.get(n)
        s.event("playbackFinished")
        s.event("speechStarted", dt=300)
        s.event("tone", tone="#")
        s.get(n)
        # record: max duration, max silence, initial silence.
        s.record("max-duration", max_record_duration_in_seconds=2, initial_silence_timeout_in_seconds=5); n += 1
        s.event("speechStarted", dt=200)
        s.event("tone", dt=3000, tone="5")
        s.record("max-silence", max_silence_timeout_in_seconds=1, max_record_duration_in_seconds=60,
                 initial_silence_timeout_in_seconds=10); n += 1
        s.event("speechStarted")
        s.event("speechStopped")
        s.event("tone", dt=2000, tone="9")
        s.record("initial-silence", initial_silence_timeout_in_seconds=1, max_record_duration_in_seconds=9); n += 1
        s.event("tone", dt=2000, tone="0")
        # record failures: prompt, beep, media receive timeout, store.
        s.record("prompt-fails", prompts=s.prompts("https://x.test/gone.wav")); n += 1
        s.event("playbackFailed", reason="download")
        s.record("beep-fails", play_beep=True); n += 1
        s.event("beepFailed", dt=50)
        s.record("media-timeout"); n += 1
        s.event("mediaReceiveTimeout", dt=10)
        s.record("store-fails", stop_tones=["#"], initial_silence_timeout_in_seconds=60,
                 max_record_duration_in_seconds=60); n += 1
        s.event("recordingFailed", dt=10)
        s.event("tone", tone="#")
        # cancel: a running record and a queued play.
        s.record("to-cancel", initial_silence_timeout_in_seconds=60, max_record_duration_in_seconds=60); n += 1
        s.play("queued", "https://x.test/q.wav"); n += 1
        s.post("cancelMediaProcessing", s.sdk["Cancel"](client_context="cancel")); n += 1
        s.get(n)
        # barge-in ends a running play.
        s.play("barged", "https://x.test/long.wav"); n += 1
        s.record("barge", barge_in_allowed=True, stop_tones=["#"]); n += 1
        s.event("tone", tone="#")
        if version == "beta":
            s.record("alias", action="record", model=BetaRecordAlias, stream_while_recording=True); n += 1
            s.event("tone", dt=6000, tone="2")
            s.play("loop", "https://x.test/music.wav", loop=True); n += 1
            s.event("playbackFinished")
            s.post("cancelMediaProcessing", s.sdk["Cancel"](client_context="stop-music")); n += 1
        s.lines.append({"at_ms": s.at(1), "request": {"method": "DELETE",
                        "url": f"https://graph.microsoft.com/{version}/communications/calls/{s.call}"}})
        out.append((f"sdk-{version}", s.text()))

        # Pending operations at the call's end, reported with notifyOnTermination.
        s = Scenario(version, {"notifyOnTermination": True})
        s.establish(f"{version}-c2")
        s.play("pending-play", "https://x.test/p.wav")
        s.record("pending-record")
        s.event("callTerminated")
        out.append((f"sdk-{version}-termination", s.text()))
    return out


class Checker:
    def __init__(self):
        self.problems = []
        self.checked = 0
        self.versions = {}  # operation id -> API version that created it

    def problem(self, where, text):
        self.problems.append(f"{where}: {text}")

    def unknown(self, obj, where, allowed=()):
        for key in (getattr(obj, "additional_data", None) or {}):
            if not key.startswith("@odata.") and key not in allowed:
                self.problem(where, f"property '{key}' unknown to the Graph SDK")

    def operation(self, doc, where, version):
        self.checked += 1
        odata_type = doc.get("@odata.type")
        if odata_type not in OP_CLASSES:
            return self.problem(where, f"@odata.type {odata_type!r} is not a media operation type")
        op = parse(doc, SDK[version]["Operation"])
        if type(op).__name__ != OP_CLASSES[odata_type]:
            self.problem(where, f"SDK parsed {type(op).__name__}, expected {OP_CLASSES[odata_type]}")
        if op.status is None:
            self.problem(where, f"status {doc.get('status')!r} unknown to the SDK")
        allowed = ()
        reason = doc.get("completionReason")
        if reason is not None:
            if version == "beta":
                if getattr(op, "completion_reason", None) is None:
                    self.problem(where, f"completionReason {reason!r} unknown to the SDK")
            elif odata_type == "#microsoft.graph.recordOperation" and reason == "operationCanceled" \
                    and (doc.get("resultInfo") or {}).get("subcode") == 8508:
                allowed = ("completionReason",)  # sent by the service on v1.0 too (ENGINE.md 2.4)
            else:
                self.problem(where, f"completionReason {reason!r} on a v1.0 {odata_type}")
        if doc.get("resultInfo") is not None:
            info = op.result_info
            if info is None or info.code is None or info.subcode is None or info.message is None:
                self.problem(where, f"resultInfo not parsed: {doc['resultInfo']!r}")
            else:
                self.unknown(info, where + ".resultInfo")
        self.unknown(op, where, allowed)

    def call(self, doc, where):
        self.checked += 1
        for version in ("v1.0", "beta"):
            call = parse(doc, SDK[version]["Call"])
            self.unknown(call, f"{where} ({version})")
            if "state" in doc and call.state is None:
                self.problem(where, f"call state {doc['state']!r} unknown to the {version} SDK")
            if "toneInfo" in doc and (call.tone_info is None or call.tone_info.tone is None
                                      or call.tone_info.sequence_id is None):
                self.problem(where, f"toneInfo not parsed by the {version} SDK: {doc['toneInfo']!r}")
            if "resultInfo" in doc and (call.result_info is None or call.result_info.subcode is None):
                self.problem(where, f"resultInfo not parsed by the {version} SDK")

    def output(self, name, text):
        for n, line in enumerate(text.splitlines(), 1):
            where = f"{name}:{n}"
            rec = json.loads(line)
            if "response" in rec:
                resp = rec["response"]
                body = resp.get("body")
                if resp["status"] >= 400:
                    err = (body or {}).get("error") or {}
                    if not err.get("code") or not err.get("message"):
                        self.problem(where, "error response lacks {error:{code,message}}")
                    continue
                if not isinstance(body, dict) or "@odata.type" not in body:
                    continue
                location = resp.get("headers", {}).get("Location")
                if location:
                    version = "beta" if "/beta/" in location else "v1.0"
                    self.versions[body["id"]] = version
                self.operation(body, where, self.versions.get(body.get("id"), "v1.0"))
            elif "notification" in rec:
                note = rec["notification"]
                if note.get("@odata.type") != "#microsoft.graph.commsNotifications":
                    self.problem(where, "envelope is not #microsoft.graph.commsNotifications")
                for i, item in enumerate(note.get("value") or []):
                    data = item.get("resourceData") or {}
                    if "/operations/" in item.get("resourceUrl", ""):
                        self.operation(data, f"{where}[{i}]", self.versions.get(data.get("id"), "v1.0"))
                    else:
                        self.call(data, f"{where}[{i}]")


def replay(binary, text):
    run = subprocess.run([binary, "--seed", "1", "-"], input=text, capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        raise SystemExit(f"ivr-replay failed ({run.returncode}): {run.stderr}")
    return run.stdout


def main(binary):
    checker = Checker()
    accepted = refused = 0
    for name, text in sdk_scenarios():
        out = replay(binary, text)
        for line in out.splitlines():
            rec = json.loads(line)
            if "response" in rec and rec["response"].get("headers", {}).get("Location"):
                accepted += 1
            elif "response" in rec and rec["response"]["status"] >= 400:
                refused += 1
                checker.problem(name, f"an SDK-built request was refused: {rec['response']}")
        checker.output(name, out)
    for path in sorted((ROOT / "tests" / "scenarios").glob("*.jsonl")):
        checker.output(path.name, replay(binary, path.read_text()))
    for problem in checker.problems:
        print(problem)
    print(f"{accepted} SDK-built requests accepted, {checker.checked} resources parsed")
    failed = len(checker.problems)
    print(f"sdk-compat: {checker.checked - min(failed, checker.checked)} passed, {failed} failed")
    return 1 if failed or accepted == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target" / "release" / "ivr-replay")))
