"""Text per page from PDF bytes with pypdf, within bounds; a document that cannot or may not be read
raises PdfRefused naming why.

Bounds (`Limits`): pages, characters of text, and the bytes any one stream may decode to (pypdf's
own limits, lowered from its 75 MB: a few kilobytes inflating to gigabytes stop there), filters
per stream, and pypdf never runs an external decoder (jbig2dec). Refused: bytes that are not a PDF
(an HTML page served as one), a file that needs a password, active content (JavaScript, launch
actions, embedded files), more pages or text than the bounds, objects nested too deep to read, a
file pypdf cannot read at all. A damaged cross-reference table that pypdf rebuilds is read, with
its warnings. Time and memory are bounded by the process this runs in (worker.py, pool.py).

Text from a document is data: every reason and warning that may quote it goes through `shown`
(one line, control characters escaped, cut), so it reaches a row or a log line only as that.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass, field

from tileshop_pipelines.catalog.sanitize import storable_text

PDF_MAGIC = b"%PDF-"
HEADER_WINDOW = 1024  # readers accept the header anywhere in the first kilobyte
MAX_WARNINGS = 20
MAX_OBJECTS = 200_000  # direct and indirect objects looked at for active content
# Dictionary keys and action types that make a PDF run or carry something besides its pages.
ACTIVE_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/EmbeddedFiles": "embedded files",
    "/EmbeddedFile": "embedded files",
    "/EF": "embedded files",
}
ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "a launch action",
    "/ImportData": "an import action",
    "/Rendition": "a rendition action",
}


@dataclass(frozen=True)
class Limits:
    max_pages: int = 300
    max_text_chars: int = 2_000_000
    max_stream_bytes: int = 32 * 1024 * 1024

    def __post_init__(self) -> None:
        for name in ("max_pages", "max_text_chars", "max_stream_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


@dataclass
class ParsedPdf:
    pages: list[str]  # page 1 first; "" for a page without text
    warnings: list[str] = field(default_factory=list)


class PdfRefused(ValueError):
    """The document is not read; the message says why (already `shown`-safe)."""


def shown(text: str, limit: int = 200) -> str:
    """`text` as one line of plain characters: control, format and separator characters escaped
    (\\n, \\x1b, \\u2028 ...), cut at `limit` characters with an ellipsis. Applying it twice
    changes nothing more (a backslash is left as it is)."""
    out = []
    for ch in text[: limit + 1]:
        code = ord(ch)
        if code < 0x20 or 0x7F <= code < 0xA0:
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, f"\\x{code:02x}"))
        elif (
            0xD800 <= code < 0xE000
            or code in (0x200B, 0x200E, 0x200F, 0x2028, 0x2029, 0xFEFF)
            or 0x202A <= code <= 0x202E
            or 0x2066 <= code <= 0x2069
        ):
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    cut = "".join(out[:limit])
    return cut + "..." if len(text) > limit else cut


def header_refusal(data: bytes) -> str | None:
    """Why `data` is not a PDF at all (no %PDF- header in its first kilobyte), or None."""
    if not data:
        return "not a PDF: the body is empty"
    if PDF_MAGIC in data[:HEADER_WINDOW]:
        return None
    head = data[:40].decode("latin-1")
    return f"not a PDF: no %PDF- header; it starts with '{shown(head, 40)}'"


def configure_pypdf(limits: Limits) -> None:
    """pypdf's limits for this process (the worker calls it once at start): every decoder's output
    and a stream's declared length at `max_stream_bytes`, no external decoder."""
    import pypdf

    bound = limits.max_stream_bytes
    pypdf.overwrite_configuration(
        maximum_declared_stream_length=bound,
        array_based_stream_maximum_output_length=bound,
        jbig2_maximum_output_length=bound,
        lzw_maximum_output_length=bound,
        run_length_maximum_output_length=bound,
        zlib_maximum_output_length=bound,
        brotli_maximum_output_length=bound,
        image_maximum_buffer_size=bound,
        # pypdf's byte-by-byte repair of a broken zlib stream is Python-speed: a short window.
        zlib_maximum_recovery_input_length=min(bound, 256 * 1024),
        stream_decoding_work_maximum_length=4 * bound,
        stream_filters_maximum_length=4,
        jbig2dec_binary=None,
        disable_legacy_handling=True,
    )


def extract_pages(data: bytes, limits: Limits) -> ParsedPdf:
    """The text of each page of `data`; PdfRefused naming why when it is not read (see the module
    docstring). Call configure_pypdf(limits) first in the process (the worker does)."""
    refused = header_refusal(data)
    if refused:
        raise PdfRefused(refused)
    collected: list[str] = []
    with _pypdf_warnings(collected):
        try:
            return _read(data, limits, collected)
        except PdfRefused:
            raise
        except RecursionError:
            raise PdfRefused("objects nested too deeply to read") from None
        except MemoryError:
            raise
        except Exception as exc:  # pypdf's errors and anything its parser trips on in a broken file
            raise PdfRefused(_refusal(exc)) from None


def _too_deep(exc: BaseException) -> bool:
    """A RecursionError, or an error pypdf raised from one (it wraps them in PdfReadError)."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 20:
        if isinstance(current, RecursionError):
            return True
        current, seen = current.__cause__ or current.__context__, seen + 1
    return False


def _refusal(exc: Exception) -> str:
    from pypdf.errors import LimitReachedError

    if _too_deep(exc):
        return "objects nested too deeply to read"
    if isinstance(exc, LimitReachedError):
        return f"a pypdf bound was reached: {shown(str(exc))}"
    return f"unreadable PDF ({type(exc).__name__}): {shown(str(exc))}"


def _read(data: bytes, limits: Limits, collected: list[str]) -> ParsedPdf:
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import LimitReachedError

    reader = PdfReader(io.BytesIO(data))
    notes: list[str] = []
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except Exception as exc:  # an unsupported algorithm, a broken /Encrypt dictionary
            raise PdfRefused(f"encrypted, and cannot be opened ({type(exc).__name__}: {shown(str(exc))})") from None
        if opened == PasswordType.NOT_DECRYPTED:
            raise PdfRefused("encrypted: opening it needs a password")
        notes.append("encrypted_without_password: encrypted with an empty user password (permissions only); read")
    active = active_content(reader)
    if active:
        raise PdfRefused(f"carries {active}; refused (a data sheet has no need of it)")
    count = len(reader.pages)
    if count > limits.max_pages:
        raise PdfRefused(f"{count} pages, over the {limits.max_pages}-page bound")
    pages, total = [], 0
    for number, page in enumerate(reader.pages, 1):
        try:
            text = page.extract_text()
        except (LimitReachedError, RecursionError, MemoryError):
            raise
        except Exception as exc:  # one broken content stream: that page has no text, the rest stand
            notes.append(f"page_unreadable: page {number}: {type(exc).__name__}: {shown(str(exc))}")
            text = ""
        text, reasons = storable_text(text, f"page {number}")
        notes += reasons
        total += len(text)
        if total > limits.max_text_chars:
            raise PdfRefused(f"more than {limits.max_text_chars} characters of text (passed on page {number})")
        pages.append(text)
    return ParsedPdf(pages, (notes + [f"pypdf: {w}" for w in collected])[:MAX_WARNINGS])


def active_content(reader) -> str | None:
    """What active content the document carries (JavaScript, a launch action, embedded files), or
    None: every object in the file is looked at, direct ones inside them too, so an action hidden
    in an annotation or an object stream is found as well as one in the catalog."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    numbers = sorted(
        {(num, gen) for gen, entries in reader.xref.items() for num in entries}
        | {(num, 0) for num in reader.xref_objStm}
    )
    seen = 0
    for num, gen in numbers:
        try:
            obj = reader.get_object(IndirectObject(num, gen, reader))
        except (RecursionError, MemoryError):
            raise
        except Exception as exc:  # a dangling or broken entry: not content that runs
            if _too_deep(exc):
                raise PdfRefused("objects nested too deeply to read") from None
            continue
        stack = [obj]
        while stack:
            item = stack.pop()
            seen += 1
            if seen > MAX_OBJECTS:
                raise PdfRefused(f"more than {MAX_OBJECTS} objects to inspect")
            if isinstance(item, DictionaryObject):
                for key, what in ACTIVE_KEYS.items():
                    if key in item:
                        return f"{what} ({key} in object {num})"
                action = item.get("/S")
                if action in ACTIVE_ACTIONS:
                    return f"{ACTIVE_ACTIONS[action]} (/S {action} in object {num})"
                stack.extend(v for v in item.values() if not isinstance(v, IndirectObject))
            elif isinstance(item, ArrayObject):
                stack.extend(v for v in item if not isinstance(v, IndirectObject))
    return None


class _Collect(logging.Handler):
    def __init__(self, into: list[str]):
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.into) < MAX_WARNINGS:
            self.into.append(shown(record.getMessage()))


class _pypdf_warnings:
    """pypdf's log warnings and Python warnings while reading, collected (escaped, at most
    MAX_WARNINGS) instead of printed: they may quote the document."""

    def __init__(self, into: list[str]):
        self.into, self.logger = into, logging.getLogger("pypdf")

    def __enter__(self):
        self.handler, self.propagate = _Collect(self.into), self.logger.propagate
        self.logger.addHandler(self.handler)
        self.logger.propagate = False
        self.caught = warnings.catch_warnings(record=True)
        self.records = self.caught.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc) -> None:
        self.caught.__exit__(*exc)
        self.logger.removeHandler(self.handler)
        self.logger.propagate = self.propagate
        for record in self.records[: MAX_WARNINGS - len(self.into)]:
            self.into.append(shown(str(record.message)))
