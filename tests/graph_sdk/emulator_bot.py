"""End to end: the official Microsoft Graph Python SDK is the bot of graph_emulator.

The script starts the emulator itself (`--listen 127.0.0.1:0`, `--bot-callback`
pointing at its own callback server, `--seed 7`, `--speed 10`), runs a bot built
on msgraph-sdk (`GraphServiceClient` over `GraphRequestAdapter` with
`AnonymousAuthenticationProvider`, base URL pointed at the emulator) and checks:

1. menu: the test offers a call with a caller script; the bot answers it through
   the SDK, subscribes to tones and plays a two-prompt menu when it sees
   `established`; the caller presses 2 during the second prompt; the bot cancels
   the menu, records a message that the caller ends with #, plays goodbye and
   hangs up. Every notification parses with the SDK models and arrives in the
   engine's order with the codes of ENGINE.md; the call's exported scenario,
   run through ivr-replay with the same seed, prints exactly the engine records
   of the call's log. This bot's client uses the SDK's default-style base URL,
   which sends `/v1.0//communications/...`.
2. outbound: `POST /communications/calls` (201, establishing then established),
   and the 400s for app-hosted media and a missing or non-http callbackUri.
3. reject: a rejected offer (busy, none, forbidden) ends with deleted/terminated
   and the reject's resultInfo; the ended call is 404 afterwards.
4. timeout: an offer nobody answers ends after 15 s virtual with 408/1106.
5. flaky bot: a callback that answers 500 twice gets its notifications after
   the retries, in order; the call's delivery shows retried >= 2, dropped 0.
6. dead bot: a call whose callbackUri is a closed port does not delay another
   call; its notifications are dropped after 5 attempts and counted.
7. caller events: a tone sent with POST /emulator/calls/{id}/events reaches the
   bot's tone subscription, a callTerminated event ends the call, and the
   call's export replays to its log.
Along the way: the /emulator control surface's 400/404/409 answers.

Needs the packages of requirements.txt (msgraph-sdk brings httpx).

Usage: python emulator_bot.py EMULATOR_BINARY IVR_REPLAY_BINARY [--speed N] [--verbose]
Prints one "ok N - ..." line per check passed; exits 1 with "FAIL: ..." on the
first failure (and the tail of the emulator's stderr). The emulator is always
killed at the end.
"""
import argparse
import asyncio
import atexit
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

import httpx
from kiota_abstractions.authentication import AnonymousAuthenticationProvider
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.communications.calls.item.answer.answer_post_request_body import AnswerPostRequestBody
from msgraph.generated.communications.calls.item.cancel_media_processing.cancel_media_processing_post_request_body import (
    CancelMediaProcessingPostRequestBody,
)
from msgraph.generated.communications.calls.item.play_prompt.play_prompt_post_request_body import (
    PlayPromptPostRequestBody,
)
from msgraph.generated.communications.calls.item.record_response.record_response_post_request_body import (
    RecordResponsePostRequestBody,
)
from msgraph.generated.communications.calls.item.reject.reject_post_request_body import RejectPostRequestBody
from msgraph.generated.communications.calls.item.subscribe_to_tone.subscribe_to_tone_post_request_body import (
    SubscribeToTonePostRequestBody,
)
from msgraph.generated.models.app_hosted_media_config import AppHostedMediaConfig
from msgraph.generated.models.call import Call
from msgraph.generated.models.call_direction import CallDirection
from msgraph.generated.models.call_state import CallState
from msgraph.generated.models.cancel_media_processing_operation import CancelMediaProcessingOperation
from msgraph.generated.models.comms_operation import CommsOperation
from msgraph.generated.models.identity import Identity
from msgraph.generated.models.identity_set import IdentitySet
from msgraph.generated.models.invitation_participant_info import InvitationParticipantInfo
from msgraph.generated.models.media_info import MediaInfo
from msgraph.generated.models.media_prompt import MediaPrompt
from msgraph.generated.models.modality import Modality
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.operation_status import OperationStatus
from msgraph.generated.models.play_prompt_operation import PlayPromptOperation
from msgraph.generated.models.record_operation import RecordOperation
from msgraph.generated.models.reject_reason import RejectReason
from msgraph.generated.models.service_hosted_media_config import ServiceHostedMediaConfig
from msgraph.generated.models.subscribe_to_tone_operation import SubscribeToToneOperation
from msgraph.generated.models.tone import Tone
import msgraph.graph_request_adapter
from msgraph_core import GraphClientFactory

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import check_sdk  # noqa: E402  (the SDK parsing rules shared with the wire-compatibility check)

SEED = 7
ANSWER_MS = 500          # the emulator's default --answer-ms
UNANSWERED_MS = 15_000   # an offer nobody answers ends after this (virtual)
RETRY_GAPS_MS = (1_000, 2_000, 4_000, 8_000)  # 5 attempts in all

# The menu call's caller script and prompts, in virtual milliseconds. The
# script counts from establishment; the bot plays the menu when it sees
# `established`, so the 2 comes during the long second prompt as long as the
# bot starts the menu within TONE_AT - MENU_1_MS of establishment.
MENU_1_MS = 500
MENU_2_MS = 120_000
TONE_AT = 8_000
SPEECH_AT = 14_000
HASH_AT = 18_000
GOODBYE_MS = 1_000
PROMPTS = "https://prompts.example"

CALL_URL = re.compile(r"^/communications/calls/([^/]+)(?:/operations/([^/]+))?$")
CANCELLED = (400, 8508, "Action failed, the operation was cancelled.")
STOP_TONE = (200, 8514, "Action completed as stop tone was detected.")
PLAYED = (200, 0, "Action completed successfully.")
ENDED = (200, 5001, "The conversation has ended.")
NOT_ANSWERED = (408, 1106, "The call was not answered within 15 seconds.")
REJECTED_BUSY = (486, 0, "The call was rejected: busy.")
REJECTED_NONE = (603, 0, "The call was rejected.")
REJECTED_FORBIDDEN = (403, 0, "The call was rejected: forbidden.")


class Failure(Exception):
    pass


CHECKS = [0]


def ok(text):
    CHECKS[0] += 1
    print(f"ok {CHECKS[0]} - {text}", flush=True)


def expect(cond, what, detail=""):
    if not cond:
        raise Failure(f"{what}" + (f"\n  {detail}" if detail else ""))
    ok(what)


def expect_equal(got, want, what):
    expect(got == want, what, f"expected {want!r}\n  got      {got!r}")


def result(model):
    info = getattr(model, "result_info", None)
    return None if info is None else (info.code, info.subcode, info.message)


def enum(value):
    return None if value is None else value.value


# --------------------------------------------------------------------------
# What the bot receives: a tiny HTTP/1.1 server and the notifications it saw.


class Delivery:
    """One POST the callback server received (every attempt, 2xx or not)."""

    def __init__(self, method, path, headers, body, status):
        self.method, self.path, self.headers, self.body, self.status = method, path, headers, body, status
        self.wall = time.monotonic()
        self.doc = None
        self.call_ids = set()


class Seen:
    """One notification item the bot accepted (answered 2xx), parsed with the SDK."""

    def __init__(self, delivery, item, call_id, op_id, kind, model):
        self.delivery, self.item, self.call_id, self.op_id = delivery, item, call_id, op_id
        self.kind, self.model = kind, model
        self.change = item.get("changeType")
        self.path = delivery.path
        self.wall = delivery.wall

    def summary(self, names=None):
        """A comparable digest, read from the SDK model (not from the raw JSON)."""
        m = self.model
        if self.kind == "call":
            tone = None if m.tone_info is None else (enum(m.tone_info.tone), m.tone_info.sequence_id)
            return (self.path, self.change, "call", enum(m.state), tone, result(m))
        name = (names or {}).get(self.op_id, self.op_id)
        return (self.path, self.change, type(m).__name__, name, enum(m.status), result(m))

    def __repr__(self):
        return repr(self.summary())


class Hub:
    def __init__(self, verbose):
        self.verbose = verbose
        self.deliveries = []
        self.seen = []
        self.handlers = {}
        self.fail_first = {}  # path -> how many attempts to answer 500
        self.errors = []
        self.checker = check_sdk.Checker()
        self.changed = asyncio.Event()

    # -- called synchronously for each request, before it is answered --
    def receive(self, method, path, headers, body):
        status = 200
        if self.fail_first.get(path, 0) > 0:
            self.fail_first[path] -= 1
            status = 500
        d = Delivery(method, path, headers, body, status)
        self.deliveries.append(d)
        where = f"delivery #{len(self.deliveries)} to {path}"
        try:
            d.doc = json.loads(body)
        except ValueError as e:
            self.problem(f"{where}: body is not JSON ({e}): {body[:200]!r}")
            self.changed.set()
            return status
        if method != "POST":
            self.problem(f"{where}: method {method}, expected POST")
        if not headers.get("content-type", "").startswith("application/json"):
            self.problem(f"{where}: Content-Type {headers.get('content-type')!r}, expected application/json")
        items = self.items(d, where)
        if self.verbose:
            print(f"  [{status}] {path}: {body.decode(errors='replace')}", flush=True)
        if status < 300:
            for seen in items:
                self.seen.append(seen)
                handler = self.handlers.get(seen.call_id)
                if handler is not None:
                    handler.inbox.put_nowait(seen)
        self.changed.set()
        return status

    def items(self, d, where):
        doc = d.doc
        if not isinstance(doc, dict) or doc.get("@odata.type") != "#microsoft.graph.commsNotifications":
            self.problem(f"{where}: envelope is not #microsoft.graph.commsNotifications: {str(doc)[:200]}")
            return []
        value = doc.get("value")
        if not isinstance(value, list) or not value:
            self.problem(f"{where}: envelope has no value items")
            return []
        out = []
        for i, item in enumerate(value):
            at = f"{where}[{i}]"
            if item.get("@odata.type") != "#microsoft.graph.commsNotification":
                self.problem(f"{at}: item @odata.type {item.get('@odata.type')!r}")
            if item.get("changeType") not in ("created", "updated", "deleted"):
                self.problem(f"{at}: changeType {item.get('changeType')!r}")
            match = CALL_URL.match(item.get("resourceUrl") or "")
            data = item.get("resourceData")
            if not match or not isinstance(data, dict):
                self.problem(f"{at}: resourceUrl {item.get('resourceUrl')!r} / resourceData {data!r}")
                continue
            call_id, op_id = match.group(1), match.group(2)
            d.call_ids.add(call_id)
            before = len(self.checker.problems)
            if op_id is None:
                self.checker.call(data, at)
                model = check_sdk.parse(data, Call)
                kind = "call"
                if data.get("id") not in (None, call_id):
                    self.problem(f"{at}: resourceData id {data.get('id')!r} is not the resourceUrl's {call_id!r}")
            else:
                self.checker.operation(data, at, "v1.0")
                model = check_sdk.parse(data, CommsOperation)
                kind = "operation"
                if data.get("id") != op_id:
                    self.problem(f"{at}: resourceData id {data.get('id')!r} is not the resourceUrl's {op_id!r}")
            for p in self.checker.problems[before:]:
                self.problem(f"SDK parse: {p}")
            out.append(Seen(d, item, call_id, op_id, kind, model))
        return out

    def problem(self, text):
        self.errors.append(text)

    def fail(self, text):
        self.errors.append(text)
        self.changed.set()

    def check_errors(self):
        if self.errors:
            raise Failure("problems seen by the bot:\n  " + "\n  ".join(self.errors))

    def of_call(self, call_id):
        return [s for s in self.seen if s.call_id == call_id]

    def attempts(self, call_id):
        return [d for d in self.deliveries if call_id in d.call_ids]

    async def wait_until(self, pred, timeout, what):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self.check_errors()
            got = pred()
            if got:
                return got
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise Failure(f"timed out after {timeout:.1f} s (wall) waiting for {what}")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), min(remaining, 0.05))
            except asyncio.TimeoutError:
                pass


class CallbackServer:
    """A minimal HTTP/1.1 server (keep-alive, Content-Length or chunked bodies).

    Each request is recorded and handed to the bot before its answer is
    written, so the order the bot sees is the order the emulator delivered."""

    def __init__(self, hub):
        self.hub = hub
        self.server = None
        self.port = None

    async def start(self):
        self.server = await asyncio.start_server(self.connection, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def connection(self, reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                if not line.strip():
                    continue
                method, target, _ = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
                headers = {}
                while True:
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    k, _, v = h.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                if "chunked" in headers.get("transfer-encoding", "").lower():
                    body = b""
                    while True:
                        size = int((await reader.readline()).split(b";")[0].strip(), 16)
                        if size == 0:
                            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                                pass
                            break
                        body += await reader.readexactly(size)
                        await reader.readexactly(2)
                else:
                    body = await reader.readexactly(int(headers.get("content-length", "0")))
                status = self.hub.receive(method, target, headers, body)
                reason = "OK" if status == 200 else "Internal Server Error"
                writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\n\r\n".encode())
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()


# --------------------------------------------------------------------------
# The SDK clients.


class WireLog:
    """What the SDK put on the wire (httpx event hook): method, raw path, status."""

    def __init__(self):
        self.entries = []

    async def on_response(self, response):
        req = response.request
        self.entries.append((req.method, req.url.raw_path.decode(), response.status_code))

    def last(self):
        return self.entries[-1] if self.entries else None


def sdk_client(base, double_slash):
    """A GraphServiceClient pointed at the emulator, without credentials.

    double_slash: the base URL is set on the httpx client, as the SDK's own
    default is (https://graph.microsoft.com/v1.0 becomes .../v1.0/), so the
    requests go to /v1.0//communications/...; otherwise the adapter's
    base_url is set without a trailing slash."""
    wire = WireLog()
    hooks = {"response": [wire.on_response]}
    if double_slash:
        http = httpx.AsyncClient(base_url=f"{base}/v1.0", event_hooks=hooks, timeout=30)
    else:
        http = httpx.AsyncClient(event_hooks=hooks, timeout=30)
    http = GraphClientFactory.create_with_default_middleware(client=http, options=msgraph.graph_request_adapter.options)
    adapter = GraphRequestAdapter(AnonymousAuthenticationProvider(), client=http)
    if not double_slash:
        adapter.base_url = f"{base}/v1.0"
    return GraphServiceClient(request_adapter=adapter), wire, http


async def expect_odata_error(coro, status, what, mentions=None):
    try:
        got = await coro
    except ODataError as e:
        detail = f"got {e.response_status_code} {e.error.code if e.error else None}: {e.primary_message}"
        expect(e.response_status_code == status and (mentions is None or mentions in (e.primary_message or "")),
               what, f"expected {status}" + (f" naming {mentions!r}" if mentions else "") + f"; {detail}")
        return e
    raise Failure(f"{what}\n  expected an ODataError {status}, got a success: {got!r}")


# --------------------------------------------------------------------------
# The emulator and its control surface.


class Emulator:
    def __init__(self, binary, callback, speed):
        self.binary, self.callback, self.speed = binary, callback, speed
        self.proc = None
        self.base = None
        self.stderr = tempfile.NamedTemporaryFile(prefix="graph-emulator-", suffix=".stderr", delete=False)
        self.control = None

    async def start(self):
        args = [self.binary, "--listen", "127.0.0.1:0", "--bot-callback", self.callback,
                "--seed", str(SEED), "--speed", f"{self.speed:g}"]
        self.proc = await asyncio.create_subprocess_exec(
            *args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.stderr)
        atexit.register(self.kill_now)
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        except asyncio.TimeoutError:
            raise Failure(f"the emulator printed no line within 60 s: {' '.join(args)}")
        text = line.decode(errors="replace").rstrip("\n")
        match = re.fullmatch(r"listening on (http://[^:/]+:(\d+))", text)
        if not match:
            try:
                await asyncio.wait_for(self.proc.wait(), 1)
            except asyncio.TimeoutError:
                pass
            raise Failure(f"the emulator's first stdout line is {text!r}, expected 'listening on http://HOST:PORT'"
                          f" (exit status {self.proc.returncode})")
        self.base = match.group(1)
        asyncio.get_running_loop().create_task(self.drain_stdout())
        self.control = httpx.AsyncClient(base_url=self.base, timeout=30)
        ok(f"emulator started ({' '.join(args[1:])}): {text}")

    async def drain_stdout(self):
        while await self.proc.stdout.readline():
            pass

    def alive(self):
        if self.proc.returncode is not None:
            raise Failure(f"the emulator exited with status {self.proc.returncode}")

    def kill_now(self):
        if self.proc is not None and self.proc.returncode is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    async def stop(self):
        if self.control is not None:
            await self.control.aclose()
        if self.proc is None or self.proc.returncode is not None:
            return
        try:
            self.proc.terminate()
            await asyncio.wait_for(self.proc.wait(), 5)
        except (asyncio.TimeoutError, ProcessLookupError):
            self.kill_now()
            await self.proc.wait()

    def stderr_tail(self, n=40):
        try:
            lines = pathlib.Path(self.stderr.name).read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return f"--- emulator stderr (last {n} lines of {self.stderr.name}) ---\n" + "\n".join(lines[-n:])

    def forget_stderr(self):
        self.stderr.close()
        os.unlink(self.stderr.name)

    def wall(self, virtual_ms):
        return virtual_ms / 1000 / self.speed

    async def request(self, method, path, body=None):
        self.alive()
        r = await self.control.request(method, path, json=body)
        return r

    async def offer(self, body):
        r = await self.request("POST", "/emulator/calls", body)
        if r.status_code != 201:
            raise Failure(f"POST /emulator/calls {json.dumps(body)}\n  expected 201, got {r.status_code}: {r.text}")
        call_id = r.json().get("callId")
        if not call_id:
            raise Failure(f"POST /emulator/calls answered 201 without callId: {r.text}")
        return call_id

    async def state(self, call_id):
        r = await self.request("GET", f"/emulator/calls/{call_id}")
        if r.status_code != 200:
            raise Failure(f"GET /emulator/calls/{call_id}: expected 200, got {r.status_code}: {r.text}")
        return r.json()

    async def delivery(self, call_id):
        state = await self.state(call_id)
        delivery = state.get("delivery")
        if not isinstance(delivery, dict) or not all(k in delivery for k in ("sent", "retried", "dropped", "pending")):
            raise Failure(f"GET /emulator/calls/{call_id}: no delivery {{sent, retried, dropped, pending}}: {state}")
        return delivery


# --------------------------------------------------------------------------
# The bots: one event-driven handler per call, fed in arrival order.


class CallBot:
    def __init__(self, hub, call_id):
        self.hub, self.call_id = hub, call_id
        self.inbox = asyncio.Queue()
        self.done = asyncio.Event()
        hub.handlers[call_id] = self
        self.task = asyncio.get_running_loop().create_task(self.run())

    async def run(self):
        while True:
            seen = await self.inbox.get()
            try:
                await self.on(seen)
            except Failure as e:
                self.hub.fail(f"bot of {self.call_id}: {e}")
            except Exception as e:  # an SDK error is a test failure, reported with the call
                self.hub.fail(f"bot of {self.call_id}: {type(e).__name__}: {e}")

    async def on(self, seen):
        raise NotImplementedError

    def stop(self):
        self.task.cancel()


class MenuBot(CallBot):
    """Answers, subscribes to tones, plays a 2-prompt menu; on '2' cancels it,
    records a message stopped by '#', plays goodbye and hangs up."""

    def __init__(self, hub, call_id, client, wire, callback_uri):
        super().__init__(hub, call_id)
        self.client, self.wire, self.callback_uri = client, wire, callback_uri
        self.call = client.communications.calls.by_call_id(call_id)
        self.ops = {}            # operation id -> name (menu, message, goodbye)
        self.menu_running = False
        self.started_menu = False
        self.answered = False
        self.responses = []      # (what, SDK model returned, wire entry)

    def sent(self, what, model, status):
        entry = self.wire.last()
        self.responses.append((what, model, entry))
        if entry is None or entry[2] != status:
            raise Failure(f"{what}: expected HTTP {status}, the wire shows {entry}")

    async def on(self, seen):
        m = seen.model
        if seen.kind == "call":
            if seen.change == "created" and m.state == CallState.Incoming and not self.answered:
                # Once: a delivery the emulator retried (its answer came late,
                # on a loaded machine) brings the same offer again, as Graph's
                # retries do; a second answer would be refused (400).
                self.answered = True
                body = AnswerPostRequestBody(callback_uri=self.callback_uri, accepted_modalities=[Modality.Audio],
                                             media_config=ServiceHostedMediaConfig())
                self.sent("answer", await self.call.answer.post(body), 202)
            elif m.state == CallState.Established and m.tone_info is None and not self.started_menu:
                self.started_menu = True
                op = await self.call.subscribe_to_tone.post(SubscribeToTonePostRequestBody(client_context="tones"))
                self.sent("subscribeToTone", op, 200)
                if not isinstance(op, SubscribeToToneOperation) or op.status != OperationStatus.Completed:
                    raise Failure(f"subscribeToTone answered {op!r}, expected a completed SubscribeToToneOperation")
                prompts = [MediaPrompt(media_info=MediaInfo(uri=f"{PROMPTS}/menu-1.wav?durationMs={MENU_1_MS}",
                                                            resource_id="menu-1")),
                           MediaPrompt(media_info=MediaInfo(uri=f"{PROMPTS}/menu-2.wav?durationMs={MENU_2_MS}",
                                                            resource_id="menu-2"))]
                op = await self.call.play_prompt.post(PlayPromptPostRequestBody(client_context="menu", prompts=prompts))
                self.sent("playPrompt menu", op, 200)
                self.expect_running(op, PlayPromptOperation, "menu")
                self.menu_running = True
            elif m.tone_info is not None and m.tone_info.tone == Tone.Tone2 and self.menu_running:
                self.menu_running = False
                op = await self.call.cancel_media_processing.post(
                    CancelMediaProcessingPostRequestBody(client_context="menu-cancel"))
                self.sent("cancelMediaProcessing", op, 200)
                if not isinstance(op, CancelMediaProcessingOperation) or op.status != OperationStatus.Completed:
                    raise Failure(f"cancelMediaProcessing answered {op!r}, expected completed")
                body = RecordResponsePostRequestBody(
                    client_context="message", stop_tones=["#"], play_beep=True,
                    initial_silence_timeout_in_seconds=120, max_silence_timeout_in_seconds=120,
                    max_record_duration_in_seconds=120)
                op = await self.call.record_response.post(body)
                self.sent("recordResponse", op, 200)
                self.expect_running(op, RecordOperation, "message")
            elif seen.change == "deleted" and m.state == CallState.Terminated:
                self.done.set()
        elif seen.change == "deleted":
            name = self.ops.get(m.id)
            if name == "menu" and m.status != OperationStatus.Failed:
                await self.hang_up()
                raise Failure(f"the menu ended {enum(m.status)} {result(m)}: the caller's 2 was not heard during it")
            if name == "message":
                if m.status != OperationStatus.Completed:
                    await self.hang_up()
                    raise Failure(f"the recording ended {enum(m.status)} {result(m)}")
                prompt = MediaPrompt(media_info=MediaInfo(uri=f"{PROMPTS}/goodbye.wav?durationMs={GOODBYE_MS}",
                                                          resource_id="goodbye"))
                op = await self.call.play_prompt.post(PlayPromptPostRequestBody(client_context="goodbye",
                                                                                prompts=[prompt]))
                self.sent("playPrompt goodbye", op, 200)
                self.expect_running(op, PlayPromptOperation, "goodbye")
            elif name == "goodbye":
                await self.hang_up()

    def expect_running(self, op, cls, name):
        if not isinstance(op, cls) or op.status != OperationStatus.Running or not op.id:
            raise Failure(f"{name}: expected a running {cls.__name__} with an id, got {op!r}")
        self.ops[op.id] = name

    async def hang_up(self):
        await self.call.delete()
        self.sent("DELETE call", None, 204)


class RejectBot(CallBot):
    def __init__(self, hub, call_id, client, wire, reason):
        super().__init__(hub, call_id)
        self.client, self.wire, self.reason = client, wire, reason
        self.answer = self.wire_entry = None
        self.rejected = False

    async def on(self, seen):
        # Once: a retried delivery brings the same offer again (see MenuBot).
        if seen.kind == "call" and seen.change == "created" and not self.rejected:
            self.rejected = True
            call = self.client.communications.calls.by_call_id(self.call_id)
            self.answer = await call.reject.post(RejectPostRequestBody(reason=self.reason))
            self.wire_entry = self.wire.last()


# --------------------------------------------------------------------------
# The scenarios.


async def warm_up():
    """The first parse of an Entity model imports ~1,250 modules (~3 s): do it
    before the emulator's virtual clock matters."""
    check_sdk.parse({"@odata.type": "#microsoft.graph.call", "state": "established"}, Call)
    check_sdk.parse({"@odata.type": "#microsoft.graph.playPromptOperation", "status": "running"}, CommsOperation)
    check_sdk.serialize(RecordResponsePostRequestBody(client_context="x", stop_tones=["#"]))
    check_sdk.parse({"@odata.type": "#microsoft.graph.call", "state": "established"}, check_sdk.BetaCall)


async def scenario_menu(emu, hub, cb, base, replay):
    client, wire, http = sdk_client(base, double_slash=True)
    call_id = "sdk-menu-1"
    callback_uri = f"{cb}/calls/{call_id}"
    bot = MenuBot(hub, call_id, client, wire, callback_uri)
    script = [{"at_ms": TONE_AT, "event": "tone", "tone": "2"},
              {"at_ms": SPEECH_AT, "event": "speechStarted"},
              {"at_ms": HASH_AT, "event": "tone", "tone": "#"}]
    source = {"user": {"id": "caller-1", "displayName": "SDK Test Caller"}}
    got = await emu.offer({"callId": call_id, "source": source, "script": script})
    expect_equal(got, call_id, "menu: POST /emulator/calls offers the call under the given id (201)")
    try:
        await hub.wait_until(lambda: bot.done.is_set(),
                             emu.wall(HASH_AT + GOODBYE_MS + 2_000) + 15, "the menu call to end")
    finally:
        bot.stop()
    ok("menu: the SDK bot answered, played the menu, cancelled it on 2, recorded, said goodbye and hung up")

    # What the SDK put on the wire.
    paths = [e[1] for e in wire.entries]
    expect(paths and all(p.startswith("/v1.0//communications/calls/") for p in paths),
           "menu: the SDK's default-style base URL sent every request as /v1.0//communications/...", paths)
    expect_equal([(w, e[0], e[2]) for w, _, e in bot.responses],
                 [("answer", "POST", 202), ("subscribeToTone", "POST", 200), ("playPrompt menu", "POST", 200),
                  ("cancelMediaProcessing", "POST", 200), ("recordResponse", "POST", 200),
                  ("playPrompt goodbye", "POST", 200), ("DELETE call", "DELETE", 204)],
                 "menu: the bot's requests and their statuses, in order")

    # What the bot saw, parsed with the SDK models, in order.
    names = {op: name for op, name in bot.ops.items()}
    record_id = next(op for op, name in names.items() if name == "message")
    seen = hub.of_call(call_id)
    cb_path = f"/calls/{call_id}"
    want = [
        ("/callback", "created", "call", "incoming", None, None),
        (cb_path, "updated", "call", "establishing", None, None),
        (cb_path, "updated", "call", "established", None, None),
        (cb_path, "updated", "call", "established", ("tone2", 1), None),
        (cb_path, "deleted", "PlayPromptOperation", "menu", "Failed", CANCELLED),
        (cb_path, "updated", "call", "established", ("pound", 2), None),
        (cb_path, "deleted", "RecordOperation", "message", "Completed", STOP_TONE),
        (cb_path, "deleted", "PlayPromptOperation", "goodbye", "Completed", PLAYED),
        (cb_path, "updated", "call", "terminating", None, None),
        (cb_path, "deleted", "call", "terminated", None, ENDED),
    ]
    got = [s.summary(names) for s in seen]
    expect(got == want, "menu: every notification parsed with the SDK and arrived in order with ENGINE.md's codes "
           "(offer, establishing, established, tone 2, menu failed 400/8508, tone #, record 200/8514, "
           "goodbye 200/0, terminating, terminated 200/5001)",
           "expected:\n    " + "\n    ".join(map(repr, want)) + "\n  got:\n    " + "\n    ".join(map(repr, got)))
    hub.check_errors()
    ok(f"menu: {len(seen)} notification items parsed by msgraph-sdk models with no unknown property")
    offer = seen[0].model
    expect(offer.id == call_id and offer.direction == CallDirection.Incoming and offer.source is not None
           and offer.source.identity is not None and offer.source.identity.user is not None
           and offer.source.identity.user.display_name == "SDK Test Caller",
           "menu: the offer is a call with id, direction incoming and the given source (participantInfo.identity)",
           f"{seen[0].item.get('resourceData')}")
    record = next(s.model for s in seen if s.op_id == record_id)
    expect_equal(record.recording_location, f"https://recordings.invalid/{call_id}/{record_id}.wav",
                 "menu: the recording's location")

    # The call's log and its exported scenario.
    lines, _, records = await engine_log(emu, call_id, "menu")
    engine = [rec for rec in records if "emulator" not in rec]
    expect(any("emulator" in rec for rec in records), "menu: the log has the emulator's own records")
    plays = {(m["media"].get("uri", "").split("?")[0].rsplit("/", 1)[-1]): m["at_ms"]
             for m in engine if "media" in m and m["media"].get("command") == "play"}
    tone2_at = next((n["at_ms"] for n in engine if "notification" in n and
                     '"tone2"' in json.dumps(n["notification"])), None)
    expect("menu-1.wav" in plays and "menu-2.wav" in plays and "goodbye.wav" in plays and tone2_at is not None,
           "menu: the log shows the three prompts played and the tone", f"plays {plays}, tone at {tone2_at}")
    expect_equal(plays["menu-2.wav"] - plays["menu-1.wav"], MENU_1_MS,
                 f"menu: the first prompt played its ?durationMs={MENU_1_MS}")
    expect(plays["menu-2.wav"] < tone2_at, "menu: the caller pressed 2 during the second prompt",
           f"second prompt started at {plays['menu-2.wav']}, tone at {tone2_at} (virtual ms)")
    goodbye_end = next((n["at_ms"] for n in engine if "notification" in n
                        and '"goodbye"' in json.dumps(n["notification"])), None)
    expect_equal(goodbye_end and goodbye_end - plays["goodbye.wav"], GOODBYE_MS,
                 f"menu: goodbye played its ?durationMs={GOODBYE_MS}")
    deliveries = []  # each accepted delivery once, in arrival order, without the emulator's own notifications
    for s in seen:
        emulator_own = s.change == "created" or (s.kind == "call" and s.model.state == CallState.Establishing)
        if not emulator_own and s.delivery not in deliveries:
            deliveries.append(s.delivery)
    logged = [line for line, rec in zip(lines, records) if "notification" in rec and "emulator" not in rec]
    logged_bytes = [line[line.index('"notification":') + len('"notification":'):-1] for line in logged]
    delivered_bytes = [d.body.decode("utf-8", "replace") for d in deliveries]
    expect([json.loads(x) for x in delivered_bytes] == [json.loads(x) for x in logged_bytes],
           "menu: the bot received exactly the engine's notifications of the log, in order",
           f"{len(logged)} logged, {len(deliveries)} delivered;\n  first difference: "
           + first_difference(logged_bytes, delivered_bytes))
    expect(delivered_bytes == logged_bytes,
           "menu: each delivered body is byte for byte the notification ivr-replay prints",
           "first difference: " + first_difference(logged_bytes, delivered_bytes))
    delivery = await emu.delivery(call_id)
    expect(delivery["dropped"] == 0 and delivery["pending"] == 0,
           "menu: GET /emulator/calls/{id}: nothing dropped or pending", f"{delivery}")

    await replay_matches_log(emu, call_id, replay, "menu")
    await expect_odata_error(client.communications.calls.by_call_id(call_id).get(), 404,
                             "menu: the SDK's GET of the ended call raises ODataError 404")
    await http.aclose()


async def engine_log(emu, call_id, label):
    """The call's log: (all lines, the lines without an `emulator` key, all records)."""
    r = await emu.request("GET", f"/emulator/calls/{call_id}/log")
    expect(r.status_code == 200, f"{label}: GET /emulator/calls/{{id}}/log answers 200", f"{r.status_code}: {r.text[:300]}")
    lines = [line for line in r.text.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]
    return lines, [line for line, rec in zip(lines, records) if "emulator" not in rec], records


async def replay_matches_log(emu, call_id, replay, label):
    """The call's exported scenario, run through ivr-replay with the emulator's seed, prints
    exactly the call's log lines that have no `emulator` key."""
    _, engine_lines, _ = await engine_log(emu, call_id, label)
    r = await emu.request("GET", f"/emulator/calls/{call_id}/scenario")
    expect(r.status_code == 200 and r.text.strip(), f"{label}: GET /emulator/calls/{{id}}/scenario answers 200",
           f"{r.status_code}: {r.text[:300]}")
    with tempfile.NamedTemporaryFile("w", prefix=f"{call_id}-", suffix=".jsonl", delete=False) as f:
        f.write(r.text)
        scenario_path = f.name
    run = subprocess.run([replay, "--seed", str(SEED), scenario_path], capture_output=True, text=True, timeout=60)
    expect(run.returncode == 0, f"{label}: ivr-replay --seed {SEED} runs the exported scenario",
           f"exit {run.returncode}: {run.stderr[:1000]}\n  scenario kept at {scenario_path}")
    replayed = [line for line in run.stdout.splitlines() if line.strip()]
    expect(replayed == engine_lines,
           f"{label}: ivr-replay prints exactly the log's records without an emulator key ({len(engine_lines)} lines)",
           f"scenario kept at {scenario_path}; {len(engine_lines)} log lines, {len(replayed)} replayed;\n"
           f"  first difference: {first_difference(engine_lines, replayed)}")
    os.unlink(scenario_path)


def first_difference(want, got):
    for i, (a, b) in enumerate(zip(want, got)):
        if a != b:
            return f"line {i + 1}:\n    log:      {a}\n    replayed: {b}"
    if len(want) != len(got):
        longer, name = (want, "log") if len(want) > len(got) else (got, "replayed")
        return f"line {min(len(want), len(got)) + 1} only in {name}: {longer[min(len(want), len(got))]}"
    return "none"


def outbound_call(callback_uri, media_config=None):
    return Call(callback_uri=callback_uri,
                targets=[InvitationParticipantInfo(identity=IdentitySet(
                    user=Identity(id="callee-1", display_name="SDK Test Callee")))],
                requested_modalities=[Modality.Audio],
                media_config=media_config or ServiceHostedMediaConfig())


def call_states(hub, call_id):
    return [(s.path, s.change, enum(s.model.state)) for s in hub.of_call(call_id) if s.kind == "call"]


async def scenario_outbound(emu, hub, cb, client, wire):
    created = await client.communications.calls.post(outbound_call(f"{cb}/calls/outbound"))
    expect(wire.last() is not None and wire.last()[2] == 201, "outbound: POST /communications/calls answers 201",
           f"{wire.last()}")
    expect(isinstance(created, Call) and created.id and created.state == CallState.Establishing
           and created.direction == CallDirection.Outgoing,
           "outbound: the SDK parses the answer as a Call with an id, establishing, outgoing", f"{created!r}")
    call_id = created.id
    path = "/calls/outbound"
    want = [(path, "updated", "establishing"), (path, "updated", "established")]
    await hub.wait_until(lambda: len(call_states(hub, call_id)) >= 2,
                         emu.wall(ANSWER_MS) + 5, "the outbound call's establishing and established")
    expect_equal(call_states(hub, call_id), want, "outbound: establishing then established at its callbackUri")
    got = await client.communications.calls.by_call_id(call_id).get()
    expect(isinstance(got, Call) and got.state == CallState.Established,
           "outbound: the SDK's GET of the call says established", f"{got!r}")
    await expect_odata_error(
        client.communications.calls.by_call_id(call_id).answer.post(
            AnswerPostRequestBody(callback_uri=f"{cb}/calls/outbound", accepted_modalities=[Modality.Audio],
                                  media_config=ServiceHostedMediaConfig())),
        400, "outbound: answering a call that is not incoming is 400")
    await client.communications.calls.by_call_id(call_id).delete()
    expect(wire.last()[2] == 204, "outbound: the SDK's DELETE of the call answers 204", f"{wire.last()}")
    await hub.wait_until(lambda: len(call_states(hub, call_id)) >= 4, 5, "the outbound call's end")
    expect_equal(call_states(hub, call_id), want + [(path, "updated", "terminating"), (path, "deleted", "terminated")],
                 "outbound: then terminating and terminated")
    await expect_odata_error(
        client.communications.calls.post(outbound_call(f"{cb}/calls/x", AppHostedMediaConfig(blob="{}"))),
        400, "outbound: app-hosted media is 400 naming mediaConfig", mentions="mediaConfig")
    await expect_odata_error(client.communications.calls.post(outbound_call(None)),
                             400, "outbound: a missing callbackUri is 400 naming it", mentions="callbackUri")
    await expect_odata_error(client.communications.calls.post(outbound_call("ftp://127.0.0.1/cb")),
                             400, "outbound: a non-http callbackUri is 400 naming it", mentions="callbackUri")


async def scenario_reject(emu, hub, client, wire):
    for reason, info in ((RejectReason.Busy, REJECTED_BUSY), (RejectReason.None_, REJECTED_NONE),
                         (RejectReason.Forbidden, REJECTED_FORBIDDEN)):
        call_id = f"sdk-reject-{reason.value}"
        bot = RejectBot(hub, call_id, client, wire, reason)
        await emu.offer({"callId": call_id})
        try:
            await hub.wait_until(lambda: len(hub.of_call(call_id)) >= 2, 10, "the rejected call's end")
        finally:
            bot.stop()
        expect(bot.answer is None and bot.wire_entry is not None and bot.wire_entry[2] == 202,
               f"reject ({reason.value}): the SDK's reject.post answers 202 with no body",
               f"{bot.wire_entry}, returned {bot.answer!r}")
        seen = hub.of_call(call_id)
        got = [(s.path, s.change, enum(s.model.state), result(s.model)) for s in seen]
        expect_equal(got, [("/callback", "created", "incoming", None), ("/callback", "deleted", "terminated", info)],
                     f"reject ({reason.value}): the bot callback got the offer, then deleted/terminated "
                     f"with {info[0]}/{info[1]}")
    await expect_odata_error(client.communications.calls.by_call_id(call_id).get(), 404,
                             "reject: the rejected call is 404 to GET")
    await expect_odata_error(
        client.communications.calls.by_call_id(call_id).answer.post(
            AnswerPostRequestBody(callback_uri="http://127.0.0.1:9/x", accepted_modalities=[Modality.Audio],
                                  media_config=ServiceHostedMediaConfig())),
        404, "reject: answering the ended call is 404")


async def scenario_timeout(emu, hub, client):
    start = time.monotonic()
    call_id = await emu.offer({})
    ok(f"timeout: an offer without callId gets a new id ({call_id})")
    # The control surface's refusals, while the call is still incoming.
    r = await emu.request("POST", f"/emulator/calls/{call_id}/events", {"event": "tone", "tone": "1"})
    expect(r.status_code == 409, "controls: a caller event for a call not established is 409", f"{r.status_code} {r.text}")
    r = await emu.request("POST", "/emulator/calls", {"callId": call_id})
    expect(r.status_code == 409, "controls: offering an id in use is 409", f"{r.status_code} {r.text}")
    r = await emu.request("GET", "/emulator/calls/no-such-call")
    expect(r.status_code == 404, "controls: an unknown call is 404", f"{r.status_code} {r.text}")
    r = await emu.request("POST", "/emulator/calls", {"script": 5})
    expect(r.status_code == 400 and "script" in r.text, "controls: a bad script is 400 naming the field",
           f"{r.status_code} {r.text}")
    state = await emu.state(call_id)
    expect(state.get("state") == "incoming", "controls: GET /emulator/calls/{id} says incoming", f"{state}")

    await hub.wait_until(lambda: len(hub.of_call(call_id)) >= 2, emu.wall(UNANSWERED_MS) + 10,
                         "the unanswered offer to time out")
    elapsed = time.monotonic() - start
    seen = hub.of_call(call_id)
    got = [(s.path, s.change, enum(s.model.state), result(s.model)) for s in seen]
    expect_equal(got, [("/callback", "created", "incoming", None),
                       ("/callback", "deleted", "terminated", NOT_ANSWERED)],
                 "timeout: an unanswered offer ends with deleted/terminated 408/1106")
    expect(elapsed >= 0.9 * emu.wall(UNANSWERED_MS), "timeout: not before 15 s virtual",
           f"ended after {elapsed:.2f} s wall = {elapsed * emu.speed:.1f} s virtual")
    await expect_odata_error(client.communications.calls.by_call_id(call_id).get(), 404,
                             "timeout: the timed-out call is 404 to GET")


async def scenario_flaky(emu, hub, cb, client):
    path = "/flaky/outbound"
    hub.fail_first[path] = 2
    created = await client.communications.calls.post(outbound_call(f"{cb}{path}"))
    call_id = created.id
    await hub.wait_until(lambda: len(call_states(hub, call_id)) >= 2,
                         emu.wall(ANSWER_MS + sum(RETRY_GAPS_MS[:2])) + 10,
                         "the flaky bot's notifications after retries")
    attempts = hub.attempts(call_id)
    expect_equal([d.status for d in attempts[:4]], [500, 500, 200, 200],
                 "flaky: the callback answered 500 twice, then 200")
    expect(attempts[0].doc == attempts[1].doc == attempts[2].doc,
           "flaky: the retries re-sent the same notification", f"{[d.doc for d in attempts[:3]]}")
    expect_equal(call_states(hub, call_id), [(path, "updated", "establishing"), (path, "updated", "established")],
                 "flaky: the notifications arrived after the retries, in order (establishing, established)")
    gap = attempts[2].wall - attempts[0].wall
    expect(gap >= 0.8 * emu.wall(sum(RETRY_GAPS_MS[:2])), "flaky: retried after 1 s then 2 s (virtual) back-off",
           f"{gap:.3f} s wall between the first attempt and the third = {gap * emu.speed:.2f} s virtual")
    delivery = await emu.delivery(call_id)
    expect(delivery["retried"] >= 2 and delivery["dropped"] == 0,
           "flaky: GET /emulator/calls/{id} shows retried >= 2 and dropped 0", f"{delivery}")
    await client.communications.calls.by_call_id(call_id).delete()
    await hub.wait_until(lambda: len(call_states(hub, call_id)) >= 4, 5, "the flaky call's end")


async def scenario_dead(emu, hub, cb, client):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    dead_port = sock.getsockname()[1]
    sock.close()
    start = time.monotonic()
    dead = (await client.communications.calls.post(outbound_call(f"http://127.0.0.1:{dead_port}/callback"))).id
    live = (await client.communications.calls.post(outbound_call(f"{cb}/calls/live"))).id
    await hub.wait_until(lambda: len(call_states(hub, live)) >= 2, emu.wall(ANSWER_MS) + 2,
                         "the live call's notifications while another call's bot is down")
    took = time.monotonic() - start
    delivery = await emu.delivery(dead)
    expect(delivery["pending"] >= 1 and delivery["dropped"] == 0 and delivery["sent"] == 0,
           f"dead bot: another call got establishing and established promptly "
           f"({took:.2f} s wall = {took * emu.speed:.1f} s virtual) while the dead call still retried",
           f"dead call's delivery {delivery}")
    await client.communications.calls.by_call_id(live).delete()
    await hub.wait_until(lambda: len(call_states(hub, live)) >= 4, 5, "the live call's end")
    ok("dead bot: the live call's terminating and terminated arrived too")
    per_note = sum(RETRY_GAPS_MS)
    deadline = time.monotonic() + emu.wall(2 * per_note) * 1.5 + 10
    while True:
        delivery = await emu.delivery(dead)
        if delivery["dropped"] >= 2 and delivery["pending"] == 0:
            break
        if time.monotonic() > deadline:
            raise Failure(f"dead bot: the dead call's notifications were not all dropped in time: {delivery}")
        await asyncio.sleep(0.05)
    elapsed = time.monotonic() - start
    expect(delivery["dropped"] == 2 and delivery["sent"] == 0,
           "dead bot: GET /emulator/calls/{id} counts both notifications (establishing, established) as dropped",
           f"{delivery}")
    expect(elapsed >= 0.9 * emu.wall(2 * per_note),
           "dead bot: each was dropped after 5 attempts over 1+2+4+8 s (virtual)",
           f"both dropped after {elapsed:.2f} s wall = {elapsed * emu.speed:.1f} s virtual, "
           f"expected >= {2 * per_note / 1000:.0f} s")
    expect(delivery["retried"] == 8, "dead bot: 4 retries per notification (retried 8)", f"{delivery}")
    expect(not hub.attempts(dead), "dead bot: nothing of the dead call reached the live callback")
    _, _, records = await engine_log(emu, dead, "dead bot")
    attempts = [(rec["at_ms"], rec["emulator"]["delivery"]) for rec in records
                if isinstance(rec.get("emulator"), dict) and isinstance(rec["emulator"].get("delivery"), dict)]
    gaps_ok = len(attempts) == 10
    for n in (0, 5):
        times = [at for at, _ in attempts[n:n + 5]]
        gaps = [b - a for a, b in zip(times, times[1:])]
        gaps_ok = gaps_ok and all(gap - 50 <= got <= gap + 1_000 for gap, got in zip(RETRY_GAPS_MS, gaps))
    expect(gaps_ok, "dead bot: the log has 5 attempts per notification, 1, 2, 4 and 8 s apart (virtual)",
           "\n  ".join(json.dumps(a) for a in attempts))


async def scenario_events(emu, hub, cb, client, replay):
    """The caller's live controls: a tone sent with POST /emulator/calls/{id}/events reaches the bot's
    tone subscription; a callTerminated event (the caller hangs up) ends the call."""
    path = "/calls/events"
    created = await client.communications.calls.post(outbound_call(f"{cb}{path}"))
    call_id = created.id
    await hub.wait_until(lambda: len(call_states(hub, call_id)) >= 2, emu.wall(ANSWER_MS) + 5,
                         "the call's establishing and established")
    op = await client.communications.calls.by_call_id(call_id).subscribe_to_tone.post(
        SubscribeToTonePostRequestBody(client_context="tones"))
    expect(isinstance(op, SubscribeToToneOperation) and op.status == OperationStatus.Completed,
           "events: the SDK's subscribeToTone on an outbound call completes", f"{op!r}")

    async def log_errors():
        _, _, records = await engine_log(emu, call_id, "events")
        return [rec for rec in records if "error" in json.dumps(rec.get("emulator", {}))]

    def tones():
        return [(enum(s.model.tone_info.tone), s.model.tone_info.sequence_id) for s in hub.of_call(call_id)
                if s.kind == "call" and s.model.tone_info is not None]

    r = await emu.request("POST", f"/emulator/calls/{call_id}/events", {"event": "tone", "tone": "5"})
    expect(r.status_code == 202, "events: POST /emulator/calls/{id}/events (a tone) answers 202",
           f"{r.status_code} {r.text}")
    try:
        await hub.wait_until(lambda: tones(), emu.wall(1_000) + 5, "the tone sent with /events")
    except Failure as e:
        raise Failure(f"{e}\n  the call's log has: {await log_errors()}")
    expect_equal(tones(), [("tone5", 1)], "events: the bot got the tone (tone5, sequenceId 1)")
    r = await emu.request("POST", f"/emulator/calls/{call_id}/events", {"event": "callTerminated"})
    expect(r.status_code == 202, "events: the caller hangs up (callTerminated) with 202", f"{r.status_code} {r.text}")
    try:
        await hub.wait_until(lambda: len(call_states(hub, call_id)) >= 5, emu.wall(1_000) + 5, "the hang-up")
    except Failure as e:
        raise Failure(f"{e}\n  the call's log has: {await log_errors()}")
    got = [(s.path, s.change, enum(s.model.state), result(s.model)) for s in hub.of_call(call_id) if s.kind == "call"]
    expect_equal(got, [(path, "updated", "establishing", None), (path, "updated", "established", None),
                       (path, "updated", "established", None), (path, "updated", "terminating", None),
                       (path, "deleted", "terminated", ENDED)],
                 "events: establishing, established, the tone, then terminating and terminated 200/5001")
    await replay_matches_log(emu, call_id, replay, "events")


def check_orders(hub):
    """Per call, over the whole run: nothing after `terminated`, tone sequenceIds 1, 2, 3..., each
    operation ended once."""
    problems = []
    for call_id in dict.fromkeys(s.call_id for s in hub.seen):
        ended, tones, ops = False, [], set()
        for s in hub.of_call(call_id):
            if ended:
                problems.append(f"{call_id}: {s.summary()} after terminated")
            if s.kind == "call":
                ended = ended or s.model.state == CallState.Terminated
                if s.model.tone_info is not None:
                    tones.append(s.model.tone_info.sequence_id)
            elif s.change == "deleted":
                if s.op_id in ops:
                    problems.append(f"{call_id}: operation {s.op_id} ended twice")
                ops.add(s.op_id)
        if tones != list(range(1, len(tones) + 1)):
            problems.append(f"{call_id}: tone sequenceIds {tones}")
    expect(not problems, f"every call's notifications ({len(hub.seen)} items) are in order: nothing after "
           "terminated, tone sequenceIds 1, 2, ..., each operation ended once", "\n  ".join(problems))


async def main(args):
    await warm_up()
    hub = Hub(args.verbose)
    server = CallbackServer(hub)
    await server.start()
    cb = f"http://127.0.0.1:{server.port}"
    emu = Emulator(args.emulator, f"{cb}/callback", args.speed)
    client = http = None
    status = 1
    try:
        await emu.start()
        client, wire, http = sdk_client(emu.base, double_slash=False)
        await expect_odata_error(client.communications.calls.by_call_id("no-such-call").get(), 404,
                                 "the SDK's GET of an unknown call raises ODataError 404")
        await scenario_menu(emu, hub, cb, emu.base, args.replay)
        await scenario_outbound(emu, hub, cb, client, wire)
        await scenario_reject(emu, hub, client, wire)
        await scenario_timeout(emu, hub, client)
        await scenario_flaky(emu, hub, cb, client)
        await scenario_dead(emu, hub, cb, client)
        await scenario_events(emu, hub, cb, client, args.replay)
        hub.check_errors()
        ok(f"all {len(hub.seen)} notification items of the run parsed with the SDK models")
        check_orders(hub)
        emu.alive()
        status = 0
    except Failure as e:
        print(f"FAIL: {e}", flush=True)
        print(emu.stderr_tail(), flush=True)
        status = 1
    finally:
        if http is not None:
            await http.aclose()
        await emu.stop()
        server.server.close()
    if status == 0:
        emu.forget_stderr()
    return status


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("emulator", help="the graph_emulator example binary")
    parser.add_argument("replay", help="the ivr-replay binary")
    parser.add_argument("--speed", type=float, default=10, help="the emulator's --speed (default 10)")
    parser.add_argument("--verbose", action="store_true", help="print every delivery")
    args = parser.parse_args()
    for path in (args.emulator, args.replay):
        if not os.access(path, os.X_OK):
            sys.exit(f"FAIL: {path} is not an executable")
    t0 = time.monotonic()
    status = asyncio.run(main(args))
    print(f"{'passed' if status == 0 else 'FAILED'}: {CHECKS[0]} checks in {time.monotonic() - t0:.1f} s", flush=True)
    sys.exit(status)
