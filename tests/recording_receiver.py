"""A plain HTTP server on 127.0.0.1 that records every POST it gets and answers 200:
where the sandbox's receipts land in tests of the sandbox alone."""

from __future__ import annotations

import http.server
import threading


class Receiver:
    def __init__(self, gate: threading.Event | None = None) -> None:
        """With ``gate``: every answer waits until the gate is set (a receiver that hangs)."""
        self.got: list[tuple[str, str, bytes]] = []
        self.lock = threading.Lock()
        self.arrived = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("content-length", "0"))
                with receiver.lock:
                    receiver.got.append((self.path, self.headers.get("content-type", ""), self.rfile.read(size)))
                receiver.arrived.set()
                if gate is not None:
                    gate.wait(60)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def bodies(self, path: str) -> list[bytes]:
        with self.lock:
            return [body for where, _, body in self.got if where == path]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
