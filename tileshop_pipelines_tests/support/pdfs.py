"""PDFs made in the tests: well-formed text documents written object by object (Helvetica, one
Flate-compressed content stream per page, a correct cross-reference table), and hostile ones
built from them or from raw bytes. pypdf's writer adds encryption, JavaScript and attachments."""

from __future__ import annotations

import io
import zlib


def _escape(line: str) -> bytes:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("cp1252", errors="replace")


def assemble(objects: list[bytes], root: int, *, xref: bool = True) -> bytes:
    """A PDF file of `objects` (object i+1 is objects[i]) with `root` as its catalog."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    start = len(out)
    if xref:
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, start)
    return bytes(out)


def content_stream(data: bytes, *, compress: bool = True) -> bytes:
    if compress:
        data = zlib.compress(data)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def text_pdf_objects(pages: list[list[str]], *, compress: bool = True) -> tuple[list[bytes], int]:
    """(objects, root) of a document whose page i shows the lines of pages[i]."""
    objects: list[bytes] = [
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"",
    ]  # 2: the page tree, written once its kids are known
    kids = []
    for lines in pages:
        ops = b"BT\n/F1 10 Tf\n13 TL\n56 760 Td\n" + b"".join(b"(%s) Tj T*\n" % _escape(line) for line in lines) + b"ET"
        objects.append(content_stream(ops, compress=compress))
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 1 0 R >> >> "
            b"/Contents %d 0 R >>" % len(objects)
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    return objects, len(objects)


def text_pdf(pages: list[list[str]], *, compress: bool = True) -> bytes:
    objects, root = text_pdf_objects(pages, compress=compress)
    return assemble(objects, root)


def data_sheet(title: str, facts: list[str], *, pages: int = 2, lines_per_page: int = 40) -> bytes:
    """A technical data sheet: its title and facts on page 1, then filler paragraphs."""
    body = [[title, *facts]]
    for page in range(2, pages + 1):
        body.append(
            [
                f"{title}, page {page}: section {page}.{line} mixing, application and curing notes, line {line}"
                for line in range(lines_per_page)
            ]
        )
    return text_pdf(body)


def with_writer(data: bytes, change) -> bytes:
    """`data` rewritten by pypdf's writer after `change(writer)` (encrypt, add_attachment)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def javascript_pdf(pages: list[list[str]], script: str = "app.alert('hello');") -> bytes:
    """A text PDF whose catalog runs `script` when opened (/OpenAction /S /JavaScript)."""
    objects, root = text_pdf_objects(pages)
    objects.append(b"<< /S /JavaScript /JS (%s) >>" % _escape(script))
    objects[root - 1] = objects[root - 1][:-2] + b"/OpenAction %d 0 R >>" % len(objects)
    return assemble(objects, root)


def flate_bomb(inflated_bytes: int) -> bytes:
    """A zlib stream inflating to `inflated_bytes` of spaces, about a thousandth of that in size,
    made in well under a second: one block of 1 MiB compressed after a full flush (the dictionary
    reset) is the same bytes every time, so it is repeated instead of compressed again; an empty
    final block and the Adler-32 of the whole end it."""
    piece = b" " * (1024 * 1024)
    count = max(1, inflated_bytes // len(piece))
    compressor = zlib.compressobj(9)
    first = compressor.compress(piece) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(piece) + compressor.flush(zlib.Z_FULL_FLUSH)
    checksum = 1
    for _ in range(count):
        checksum = zlib.adler32(piece, checksum)
    return first + block * (count - 1) + b"\x03\x00" + checksum.to_bytes(4, "big")


def bomb_pdf(inflated_bytes: int) -> bytes:
    """One page whose content stream is a small Flate stream inflating to `inflated_bytes`."""
    stream = flate_bomb(inflated_bytes)
    objects = [
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 1 0 R >> >> "
        b"/Contents 3 0 R >>",
        b"<< /Type /Catalog /Pages 2 0 R >>",
    ]
    return assemble(objects, 5)


def nested_pdf(depth: int) -> bytes:
    """A page whose /Annots array nests `depth` arrays deep (an object a recursive reader cannot read)."""
    objects, root = text_pdf_objects([["nested arrays follow"]])
    page = objects[3]
    objects[3] = page[:-2] + b" /Annots " + b"[" * depth + b"]" * depth + b" >>"
    return assemble(objects, root)


def broken_xref_pdf(pages: list[list[str]]) -> bytes:
    """A text PDF whose cross-reference offsets are all wrong (a reader must rebuild it)."""
    good = text_pdf(pages)
    head, _, tail = good.partition(b"xref\n")
    rows = tail.split(b"\n")
    broken = [rows[0], rows[1]] + [b"%010d 00000 n " % (int(r[:10]) + 7) if r.endswith(b" n ") else r for r in rows[2:]]
    return head + b"xref\n" + b"\n".join(broken)


def deep_page_tree_pdf(depth: int) -> bytes:
    """A page tree `depth` levels deep, one page at the bottom."""
    objects: list[bytes] = [
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        content_stream(b"BT /F1 10 Tf 56 760 Td (deep) Tj ET"),
    ]
    parent: int | None = None
    for _level in range(depth):
        number = len(objects) + 1
        child = number + 1
        parent_ref = b"" if parent is None else b" /Parent %d 0 R" % parent
        objects.append(b"<< /Type /Pages /Kids [%d 0 R] /Count 1%s >>" % (child, parent_ref))
        parent = number
    if parent is None:
        raise ValueError(f"a page tree {depth} levels deep: at least 1")
    objects.append(
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 1 0 R >> >> "
        b"/Contents 2 0 R >>" % parent
    )
    objects.append(b"<< /Type /Catalog /Pages 3 0 R >>")
    return assemble(objects, len(objects))
