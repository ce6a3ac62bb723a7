"""--network model: the lab reaches the configured endpoint through the bridge, and nothing else."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from sandbox import Limits, run
from sandbox.model_route import inner_base_url, parse_endpoint
from tests.sandbox.conftest import requires_bwrap


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        body = json.dumps({"data": [{"id": self.server.model_id}], "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    servers = []

    def start(model_id: str) -> int:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.model_id = model_id
        server.hits = 0
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_address[1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


LAB = """
import json, os, socket, sys, urllib.request
base = os.environ["OPENAI_BASE_URL"]
answer = json.load(urllib.request.urlopen(base + "/models", timeout=5))
print("MODEL", answer["data"][0]["id"], answer["path"], os.environ.get("LAB_MODEL"))
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
    print("OTHER PORT REACHED")
except OSError as exc:
    print("other port blocked", type(exc).__name__)
"""


@requires_bwrap
def test_lab_reaches_the_model_endpoint_and_not_another_port(make_lab, http_server):
    model_port = http_server("nemotron-test")
    other_port = http_server("must-not-be-reached")
    lab = make_lab(LAB)
    record = run(lab, ["python", "main.py", str(other_port)], Limits(timeout_s=20), network="model",
                 model_url=f"http://127.0.0.1:{model_port}/v1", model_name="nemotron-test")
    out = Path(record.logs["stdout"]).read_text()
    assert record.reason == "ok", (record.detail, Path(record.logs["stderr"]).read_text())
    assert "MODEL nemotron-test /v1/models nemotron-test" in out
    assert "other port blocked" in out and "OTHER PORT REACHED" not in out
    assert record.network == "model"
    assert "OPENAI_BASE_URL" in record.env_keys and "LAB_MODEL" in record.env_keys


@requires_bwrap
def test_model_network_without_an_endpoint_says_unavailable_and_stays_offline(make_lab, monkeypatch):
    for var in ("SANDBOX_MODEL_URL", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    lab = make_lab("import os; print(os.environ.get('OPENAI_BASE_URL'))\n")
    record = run(lab, ["python", "main.py"], Limits(timeout_s=20), network="model")
    assert record.network == "model-unavailable"
    assert "no model endpoint" in record.isolation["network_detail"]
    assert Path(record.logs["stdout"]).read_text().strip() == "None"


def test_endpoint_parsing_keeps_the_path_and_rejects_non_http():
    assert parse_endpoint("http://gpu-box:8000/v1") == ("gpu-box", 8000, "/v1")
    assert inner_base_url("https://api.example.org/v1/") == "http://127.0.0.1:8000/v1"
    with pytest.raises(ValueError):
        parse_endpoint("ftp://x")
