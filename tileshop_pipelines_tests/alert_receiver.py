"""A Slack-style incoming-webhook receiver on 127.0.0.1 for the alert tests: it records every POST
(time, path, JSON body) as a log line and answers 200 "ok" (or the status a test sets)."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class AlertReceiver:
    def __init__(self) -> None:
        self.received: list[dict] = []
        self.lines: list[str] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                payload = json.loads(body)
                receiver.received.append(payload)
                stamp = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
                receiver.lines.append(f"{stamp} POST {self.path} {self.headers.get('Content-Type')} "
                                      f"{json.dumps(payload, ensure_ascii=False)}")
                answer = b"ok" if receiver.status < 300 else b"invalid_payload"
                self.send_response(receiver.status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):  # the lines above are the log
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/services/T0000/B0000/test-webhook-secret-0123"

    def __enter__(self) -> AlertReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
