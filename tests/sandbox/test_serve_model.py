"""`tutor serve-model`: the recipe's flags, and the wait for /health and /v1/models."""

from __future__ import annotations

import json
import os
import socket
import stat
import sys
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from typer.testing import CliRunner

from sandbox.model_server import NEMOTRON_3_NANO, ServerNotReady, serve_command, wait_until_ready
from tutor.cli import app


def test_command_carries_the_nemotron_recipe_flags():
    argv = serve_command("bf16").argv
    assert argv[:3] == ["vllm", "serve", "nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16"]
    for flag, value in [("--tool-call-parser", "qwen3_coder"), ("--reasoning-parser", "nano_v3"),
                        ("--mamba-ssm-cache-dtype", "float32"), ("--max-model-len", "32768")]:
        assert argv[argv.index(flag) + 1] == value
    assert "--trust-remote-code" in argv and "--enable-auto-tool-choice" in argv
    fp8 = serve_command("fp8", max_model_len=8192, builtin_parser=True)
    assert fp8.argv[fp8.argv.index("--kv-cache-dtype") + 1] == "fp8"
    assert fp8.argv[fp8.argv.index("--reasoning-parser") + 1] == "nemotron_v3"
    assert "--reasoning-parser-plugin" not in fp8.argv and "8192" in fp8.argv
    assert NEMOTRON_3_NANO["checked_against_vllm"]


class _Flaky(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        server = self.server
        server.calls.append(self.path)
        if self.path == "/health":
            code, body = (503, b"") if server.calls.count("/health") <= server.unhealthy else (200, b"")
        elif self.path == "/v1/models":
            code, body = 200, json.dumps({"data": [{"id": "served-nemotron"}]}).encode()
        else:
            code, body = 404, b""
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    server.calls, server.unhealthy = [], 2
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_wait_returns_the_served_name_once_healthy(flaky_server):
    url = f"http://127.0.0.1:{flaky_server.server_address[1]}/v1"
    assert wait_until_ready(url, timeout_s=10, interval_s=0.01) == ["served-nemotron"]
    assert flaky_server.calls.count("/health") == 3 and flaky_server.calls[-1] == "/v1/models"


def test_wait_times_out_when_nothing_answers():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # a port nobody listens on once closed
    with pytest.raises(ServerNotReady, match="not ready after"):
        wait_until_ready(f"http://127.0.0.1:{port}/v1", timeout_s=0.3, interval_s=0.05)


def test_wait_stops_when_the_server_process_dies():
    class Dead:
        returncode = 1

        def poll(self):
            return 1

    with pytest.raises(ServerNotReady, match="exited with status 1"):
        wait_until_ready("http://127.0.0.1:9/v1", timeout_s=5, process=Dead())


FAKE_VLLM = """
    import json, sys
    from http.server import BaseHTTPRequestHandler, HTTPServer
    argv = sys.argv
    port, model = int(argv[argv.index("--port") + 1]), argv[2]
    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"data": [{"id": model}]}).encode() if self.path == "/v1/models" else b"ok"
            self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
            self.wfile.write(body)
            if self.path == "/v1/models":
                self.server.done = True
        def log_message(self, *a): pass
    server = HTTPServer(("127.0.0.1", port), H); server.done = False
    while not server.done:
        server.handle_request()
"""


def test_launch_waits_then_prints_the_served_model(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "vllm"
    fake.parent.mkdir()
    fake.write_text(f"#!{sys.executable}\n" + textwrap.dedent(FAKE_VLLM))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(app, ["serve-model", "--launch", "--port", str(port), "--wait", "30"])
    assert result.exit_code == 0, result.output
    assert "serving nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16" in result.stdout


def test_launch_without_vllm_is_a_one_line_usage_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    result = CliRunner().invoke(app, ["serve-model", "--launch", "--wait", "1"])
    assert result.exit_code == 2 and result.stderr.startswith("tutor: vllm is not installed")
