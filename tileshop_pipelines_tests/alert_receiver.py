"""A Slack-style incoming-webhook receiver on 127.0.0.1 for the alert tests: it records every POST
(time, path, JSON body) as a log line and answers 200 "ok" (or the status a test sets)."""

from __future__ import annotations

import datetime as dt
import json

from .support.local_server import LocalServer, QuietHandler


class AlertReceiver(LocalServer):
    def __init__(self) -> None:
        self.received: list[dict] = []
        self.lines: list[str] = []
        self.status = 200
        receiver = self

        class Handler(QuietHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                payload = json.loads(body)
                receiver.received.append(payload)
                stamp = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
                receiver.lines.append(
                    f"{stamp} POST {self.path} {self.headers.get('Content-Type')} "
                    f"{json.dumps(payload, ensure_ascii=False)}"
                )
                self.answer(receiver.status, b"ok" if receiver.status < 300 else b"invalid_payload", "text/plain")

        super().__init__(Handler)  # its log: the lines above

    @property
    def url(self) -> str:
        return f"{self.base_url}/services/T0000/B0000/test-webhook-secret-0123"
