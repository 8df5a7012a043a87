"""A minimal Graph calling bot on the official SDK, for graph_emulator.

It answers every offered call, plays a greeting, and hangs up when the
greeting has played. Run the emulator, then this bot, then offer a call:

    cargo run --release --example graph_emulator -- --bot-callback http://127.0.0.1:3978/calls
    python examples/graph_emulator/minimal_bot.py http://127.0.0.1:8790 3978
    curl -X POST http://127.0.0.1:8790/emulator/calls -d '{}'
"""
import asyncio, json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

from kiota_abstractions.authentication import AnonymousAuthenticationProvider
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.communications.calls.item.answer.answer_post_request_body import AnswerPostRequestBody
from msgraph.generated.communications.calls.item.play_prompt.play_prompt_post_request_body import PlayPromptPostRequestBody
from msgraph.generated.models.media_info import MediaInfo
from msgraph.generated.models.media_prompt import MediaPrompt
from msgraph.generated.models.modality import Modality
from msgraph.generated.models.service_hosted_media_config import ServiceHostedMediaConfig

emulator, port = sys.argv[1], int(sys.argv[2])
adapter = GraphRequestAdapter(AnonymousAuthenticationProvider())  # no credentials: it is local
adapter.base_url = f"{emulator}/v1.0"
graph = GraphServiceClient(request_adapter=adapter)
callback = f"http://127.0.0.1:{port}/calls"
loop = asyncio.new_event_loop()

async def on_notification(item):
    call_id = item["resourceUrl"].split("/")[3]
    call = graph.communications.calls.by_call_id(call_id)
    data = item.get("resourceData", {})
    if item["changeType"] == "created" and data.get("state") == "incoming":
        await call.answer.post(AnswerPostRequestBody(
            callback_uri=callback, accepted_modalities=[Modality.Audio],
            media_config=ServiceHostedMediaConfig()))
    elif data.get("state") == "established" and "toneInfo" not in data:
        prompt = MediaPrompt(media_info=MediaInfo(uri="https://cdn.example/hello.wav?durationMs=2000"))
        await call.play_prompt.post(PlayPromptPostRequestBody(client_context="hello", prompts=[prompt]))
    elif data.get("@odata.type") == "#microsoft.graph.playPromptOperation" and data.get("status") == "completed":
        await call.delete()
    print(item["changeType"], item["resourceUrl"], data.get("state") or data.get("status"), flush=True)

class Callback(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(202)
        self.end_headers()
        for item in body["value"]:
            asyncio.run_coroutine_threadsafe(on_notification(item), loop)

    def log_message(self, *args):
        pass

Thread(target=ThreadingHTTPServer(("127.0.0.1", port), Callback).serve_forever, daemon=True).start()
print(f"bot listening on {callback}", flush=True)
loop.run_forever()
