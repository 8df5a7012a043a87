"""Keeps the README's bot honest: runs examples/graph_emulator/minimal_bot.py
against the emulator and checks the call it is offered is answered, greeted
and hung up, with every notification delivered.

    python tests/graph_sdk/minimal_bot_check.py target/release/examples/graph_emulator
"""
import json, socket, subprocess, sys, time, urllib.request

emulator_bin = sys.argv[1]
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    bot_port = s.getsockname()[1]
emulator = subprocess.Popen(
    [emulator_bin, "--listen", "127.0.0.1:0", "--speed", "10",
     "--bot-callback", f"http://127.0.0.1:{bot_port}/calls"],
    stdout=subprocess.PIPE, text=True)
bot = None
try:
    base = emulator.stdout.readline().split()[-1]
    bot = subprocess.Popen([sys.executable, "examples/graph_emulator/minimal_bot.py", base, str(bot_port)],
                           stdout=subprocess.PIPE, text=True)
    assert bot.stdout.readline().startswith("bot listening"), "the bot did not start"

    def call(method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        with urllib.request.urlopen(urllib.request.Request(base + path, data=data, method=method)) as r:
            return json.loads(r.read() or "null")

    call_id = call("POST", "/emulator/calls", {})["callId"]
    deadline = time.monotonic() + 60
    while (state := call("GET", f"/emulator/calls/{call_id}"))["state"] != "terminated" or state["delivery"]["pending"]:
        assert time.monotonic() < deadline, f"the call did not end: {state}"
        time.sleep(0.1)
    delivery = state["delivery"]
    # offer, establishing, established, the greeting's end, terminating, terminated
    assert delivery == {"sent": 6, "retried": 0, "dropped": 0, "pending": 0}, delivery
    log = urllib.request.urlopen(base + f"/emulator/calls/{call_id}/log").read().decode()
    statuses = [json.loads(l) for l in log.splitlines()]
    completed = [r for r in statuses if "notification" in r
                 and r["notification"]["value"][0]["resourceData"].get("status") == "completed"]
    assert len(completed) == 1, "the greeting did not complete"
    print(f"minimal bot: call {call_id} answered, greeted and hung up; {delivery['sent']} notifications delivered")
finally:
    for process in (bot, emulator):
        if process:
            process.terminate()
            process.wait()
