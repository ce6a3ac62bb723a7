"""The one route out of a sandbox: a Unix socket, bridged outside to the model endpoint only.

Inside, the lab has no network at all (its own empty network namespace). `inner_bridge.py`
listens on 127.0.0.1 there and forwards every connection to the socket; this proxy, outside,
connects each one to the configured host:port and nowhere else. The pattern sandbox runtimes
use for domain allow-lists, reduced to a single upstream.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path
from urllib.parse import urlsplit

SOCKET_NAME = "model.sock"
INNER_PORT = 8000


def parse_endpoint(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"model endpoint must be an http(s) URL, got {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.hostname, port, parts.path.rstrip("/")


def inner_base_url(url: str) -> str:
    """What the lab uses: the same path on the in-sandbox listener (plain http over the bridge)."""
    _, _, path = parse_endpoint(url)
    return f"http://127.0.0.1:{INNER_PORT}{path or '/v1'}"


class ModelRoute:
    def __init__(self, url: str, bridge_dir: Path, uid: int | None = None):
        self.host, self.port, _ = parse_endpoint(url)
        self.bridge_dir = Path(bridge_dir)
        self.socket_path = self.bridge_dir / SOCKET_NAME
        self.uid = uid
        self._server: socket.socket | None = None
        self._closed = threading.Event()

    def start(self) -> None:
        shutil.copy(Path(__file__).with_name("inner_bridge.py"), self.bridge_dir / "inner_bridge.py")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(self.socket_path))
        os.chmod(self.socket_path, 0o666)  # the lab's uid must be able to connect
        os.chmod(self.bridge_dir, 0o755)
        server.listen(64)
        self._server = server
        threading.Thread(target=self._accept_loop, name="model-route", daemon=True).start()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection((self.host, self.port), timeout=10)
            upstream.settimeout(None)
        except OSError:
            client.close()
            return
        pump_both_ways(client, upstream)

    def stop(self) -> None:
        self._closed.set()
        if self._server:
            self._server.close()


def pump_both_ways(a: socket.socket, b: socket.socket) -> None:
    def pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (dst,):
                try:
                    sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

    other = threading.Thread(target=pump, args=(b, a), daemon=True)
    other.start()
    pump(a, b)
    other.join()
    a.close()
    b.close()
