"""A local stand-in for the store's CDN (s7d1.scene7.com, which our machines cannot reach): the sample
documents as PDFs, on a host of its own (127.0.0.2, not the site's 127.0.0.1) so that a document
host allow-list and per-host politeness see two hosts.

GET and HEAD answer each document's PDF (pdfs.py, made on first request and kept) with ETag,
Last-Modified and 304 to a matching conditional request; an unknown path is a 404. Tests change a
document the way the sample site changes a page:

    cdn.revise(path)               # the document reissued: new bytes, new ETag, Last-Modified a day later
    cdn.put(path, body, type)      # any bytes at any path (a hostile file, HTML served as a PDF)
    cdn.faults.set_status(path, 503) ... # status, 429 with Retry-After, slow (faults.transport_fault)

and from another process: POST /__revise {"path": ...}, POST /__faults (the sample site's JSON),
GET /__faults.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import hashlib
import json
import threading

from .document_model import SampleDocument
from .documents import DOCUMENTS, document_path
from .faults import Faults, transport_fault
from .model import CATALOG_EPOCH
from .wire import JSON, PDF, Background, error_response, http_date, message, not_modified

CDN_HOST = "127.0.0.2"  # a loopback address of its own: the sample site is 127.0.0.1


@dataclasses.dataclass(frozen=True)
class _Entry:
    etag: str
    last_modified: dt.datetime
    response: bytes  # full 200 response
    not_modified: bytes  # full 304 response


class CdnServer:
    """The sample documents served on a background thread (a context manager too, like CatalogServer).
    `hits` counts requests per path, conditional ones included."""

    def __init__(self, host: str = CDN_HOST, port: int = 0):
        self.host, self.port = host, port
        self.faults = Faults()
        self.hits: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()
        self._revisions: dict[str, int] = {}
        self._put: dict[str, tuple[bytes, str, int]] = {}  # path -> (body, content type, version)
        self._cache: dict[tuple[str, int], _Entry] = {}
        self._served: Background | None = None

    @property
    def base_url(self) -> str:
        """e.g. http://127.0.0.2:54321: what served product pages name documents under."""
        if self._served is None:
            raise RuntimeError("CDN stand-in not started")
        return f"http://{self.host}:{self._served.port}"

    def url(self, path_or_url: str) -> str:
        """A document's address here, from its path or its real CDN URL."""
        return self.base_url + document_path(path_or_url)

    def start(self) -> CdnServer:
        if self._served is not None:
            raise RuntimeError("CDN stand-in already started")
        try:
            self._served = Background((self.host, self.port), self, "cdn-server")
        except OSError as exc:
            raise OSError(
                exc.errno,
                f"cannot serve the CDN stand-in on {self.host}:{self.port}: {exc.strerror} "
                "(127.0.0.2 is a loopback address on Linux; elsewhere pass another host)",
            ) from exc
        return self

    def stop(self) -> None:
        if self._served is not None:
            self._served.stop()
            self._served = None

    def __enter__(self) -> CdnServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- changes -----------------------------------------------------------------------------

    def revise(self, path_or_url: str) -> str:
        """Reissue a sample document (its facts unchanged, its dates and bytes new); returns the new ETag."""
        path = document_path(path_or_url)
        if path not in DOCUMENTS:
            raise KeyError(f"no sample document at {path!r}")
        with self._lock:
            self._revisions[path] = self._revisions.get(path, 0) + 1
        entry = self._entry(path)
        assert entry is not None  # a sample document, or one just put
        return entry.etag

    def put(self, path: str, body: bytes, content_type: str = PDF) -> str:
        """Serve `body` at `path` from now on (a new path, or in place of a sample document); returns its ETag."""
        if not path.startswith("/"):
            raise ValueError(f"a CDN path starts with '/': {path!r}")
        with self._lock:
            version = self._put[path][2] + 1 if path in self._put else 1
            self._put[path] = (bytes(body), content_type, version)
        entry = self._entry(path)
        assert entry is not None  # a sample document, or one just put
        return entry.etag

    def reset(self) -> None:
        """Every document as first issued, nothing put, no faults, no hits counted."""
        with self._lock:
            self._revisions.clear()
            self._put.clear()
            self.hits.clear()
        self.faults.clear()

    def revision(self, path_or_url: str) -> int:
        return self._revisions.get(document_path(path_or_url), 0)

    # ---- responses ---------------------------------------------------------------------------

    def _entry(self, path: str) -> _Entry | None:
        with self._lock:
            put = self._put.get(path)
            revision = self._revisions.get(path, 0)
        if put is not None:
            body, content_type, version = put
            key, modified = (path, -version), CATALOG_EPOCH + dt.timedelta(days=version)
        elif path in DOCUMENTS:
            doc: SampleDocument = DOCUMENTS[path]
            key, content_type = (path, revision), PDF
            modified = dt.datetime.combine(doc.revised, dt.time(9, 0), tzinfo=dt.UTC) + dt.timedelta(days=revision)
            body = b""
        else:
            return None
        entry = self._cache.get(key)
        if entry is None:
            if put is None:
                from .pdfs import document_pdf  # fpdf2 takes seconds to import: only a server that is asked loads it

                body = document_pdf(path, revision)
            etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
            headers = [
                ("Content-Type", content_type),
                ("ETag", etag),
                ("Last-Modified", http_date(modified)),
                ("Cache-Control", "public, max-age=86400"),
            ]
            entry = _Entry(etag, modified, message(200, headers, body), message(304, headers[1:], length=False))
            self._cache[key] = entry
        return entry

    def respond(self, method: bytes, path: str, headers: dict[bytes, bytes], body: bytes) -> bytes:
        """The full HTTP response (bytes) to one parsed request (wire.Handler's Site)."""
        if method == b"HEAD":
            response = self.respond(b"GET", path, headers, body)
            return response[: response.index(b"\r\n\r\n") + 4]
        if method == b"GET" and path == "/__faults":
            return self._json(200, self.faults.to_dict())
        if method == b"POST" and path in ("/__faults", "/__revise"):
            return self._post(path, body)
        if method != b"GET":
            return error_response(405, [("Allow", "GET, HEAD")])
        with self._lock:
            self.hits[path] += 1
        if self.faults.active():
            faulted = transport_fault(self.faults, path)
            if faulted is not None:
                return faulted
        entry = self._entry(path)
        if entry is None:
            return error_response(404)
        return entry.not_modified if not_modified(headers, entry.etag, entry.last_modified) else entry.response

    def _post(self, path: str, body: bytes) -> bytes:
        try:
            payload = json.loads(body or b"{}")
            if not isinstance(payload, dict):
                raise ValueError("expected a JSON object")
            if path == "/__faults":
                self.faults.apply(payload)
                return self._json(200, self.faults.to_dict())
            target = document_path(str(payload["path"]))
            etag = self.revise(target)
            return self._json(200, {"path": target, "revision": self.revision(target), "etag": etag})
        except KeyError as exc:
            return self._json(404, {"error": str(exc)})
        except (ValueError, TypeError) as exc:
            return self._json(400, {"error": str(exc)})

    @staticmethod
    def _json(status: int, data: object) -> bytes:
        return message(status, [("Content-Type", JSON)], json.dumps(data).encode())
