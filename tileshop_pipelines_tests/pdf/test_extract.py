"""Text per page by pypdf, within bounds; what it refuses, and that every reason is plain text."""

from __future__ import annotations

import pytest

from tileshop_pipelines.pdf.extract import Limits, PdfRefused, configure_pypdf, extract_pages, header_refusal, shown

from ..support import pdfs


@pytest.fixture(autouse=True, scope="module")
def _configured():
    import pypdf

    before = pypdf.get_configuration()
    configure_pypdf(Limits(max_stream_bytes=4 * 1024 * 1024))
    yield
    pypdf.overwrite_configuration(before)


def test_each_page_s_text_in_order():
    data = pdfs.text_pdf(
        [["Mortar coverage (per 50 lb bag)", "1/4 x 3/8 in notch: 60-70 sq. ft."], [], ["Grout after 24 hours"]]
    )
    parsed = extract_pages(data, Limits())
    assert parsed.pages == [
        "Mortar coverage (per 50 lb bag)\n1/4 x 3/8 in notch: 60-70 sq. ft.\n",
        "",
        "Grout after 24 hours\n",
    ]
    assert parsed.warnings == []


def test_shown_makes_one_plain_line_and_is_idempotent():
    hostile = "a\nb\r\x1b[31m\u2028\u202e\ud800\\x" + "z" * 300
    once = shown(hostile, 40)
    assert once == "a\\nb\\r\\x1b[31m\\u2028\\u202e\\ud800\\x" + "z" * 26 + "..."  # 40 characters of the text
    assert once.isprintable() and shown(once, 100) == once


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "not a PDF: the body is empty"),
        (
            b"<!DOCTYPE html>\n<title>404</title>",
            "not a PDF: no %PDF- header; it starts with '<!DOCTYPE html>\\n<title>404</title>'",
        ),
        (b"\0" * 100 + b"%PDF-1.4", None),  # a header anywhere in the first kilobyte, as readers accept
    ],
)
def test_the_header_decides_whether_bytes_are_a_pdf(data, reason):
    assert header_refusal(data) == reason


@pytest.mark.parametrize(
    "make, reason",
    [
        (lambda: pdfs.javascript_pdf([["x"]]), "carries JavaScript (/JS in object"),
        (
            lambda: pdfs.with_writer(pdfs.text_pdf([["x"]]), lambda w: w.add_attachment("a.txt", b"a")),
            "carries embedded files",
        ),
        (
            lambda: pdfs.with_writer(
                pdfs.text_pdf([["x"]]), lambda w: w.encrypt(user_password="pw", algorithm="AES-256")
            ),
            "encrypted: opening it needs a password",
        ),
        (lambda: pdfs.bomb_pdf(64 * 1024 * 1024), "a pypdf bound was reached: Limit reached while decompressing"),
        (lambda: pdfs.nested_pdf(50_000), "objects nested too deeply to read"),
        (lambda: pdfs.text_pdf([["p"]] * 4), "4 pages, over the 3-page bound"),
        (lambda: pdfs.text_pdf([["x" * 90] * 20]), "more than 1000 characters of text (passed on page 1)"),
    ],
)
def test_what_is_refused_and_why(make, reason):
    with pytest.raises(PdfRefused) as refused:
        extract_pages(make(), Limits(max_pages=3, max_text_chars=1000, max_stream_bytes=4 * 1024 * 1024))
    assert str(refused.value).startswith(reason)


def test_an_empty_user_password_opens_with_a_warning():
    data = pdfs.with_writer(
        pdfs.text_pdf([["Warranty: lifetime"]]),
        lambda w: w.encrypt(user_password="", owner_password="owner", algorithm="AES-128"),
    )
    parsed = extract_pages(data, Limits())
    assert parsed.pages == ["Warranty: lifetime\n"]
    assert parsed.warnings == [
        "encrypted_without_password: encrypted with an empty user password (permissions only); read"
    ]


def test_text_is_made_storable():
    parsed = extract_pages(pdfs.text_pdf([["NUL\0here"]]), Limits())
    assert "\0" not in parsed.pages[0] and parsed.warnings == ["nul_removed: page 1: 1 NUL character(s) removed"]
