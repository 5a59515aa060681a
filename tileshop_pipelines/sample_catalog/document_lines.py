"""The product lines the sample documents are about, with the figures their data sheets state, and
which documents a product page names: a line's data sheet is shared by every product of the line
(every color and bag size of a grout), as manufacturers publish them; tiles name their material's
safety data sheet, vinyl, laminate and wood floors their installation instructions and warranty,
natural stone the care guide. Addresses are the real CDN's (on_cdn moves them to the
local stand-in when the site is served).

The lines are tables of their own (document_mortars.py, document_grouts.py,
document_care_products.py; their kinds, document_line_kinds.py); LINES joins them."""

from __future__ import annotations

import re

from .document_care_products import CARE
from .document_grouts import CAULKS, GROUTS
from .document_line_kinds import CareLine, CaulkLine, GroutLine, MortarLine
from .document_mortars import MORTARS

CDN_URL = "https://s7d1.scene7.com"  # the store's CDN, as its product pages name it
PDF_DIR = "/is/content/TileShop/pdf/"

# Flooring (installation instructions and warranty per material) and the natural stone care guide.
FLOORING_STEMS = {"Luxury Vinyl": "luxury-vinyl", "Laminate": "laminate", "Engineered Wood": "engineered-wood"}
TILE_SDS_MATERIALS = ("Porcelain", "Ceramic", "Glass")
CARE_GUIDE = {"Name": "Natural Stone Care Guide", "Url": f"{CDN_URL}{PDF_DIR}care/natural-stone-care-guide.pdf"}

LINES: tuple[MortarLine | GroutLine | CaulkLine | CareLine, ...] = MORTARS + GROUTS + CAULKS + CARE


def on_cdn(url: str, cdn_url: str | None) -> str:
    """A document URL as a page served beside the CDN stand-in at `cdn_url` names it (unchanged when
    `cdn_url` is None or the URL is not on the real CDN)."""
    if cdn_url is None or not url.startswith(CDN_URL + "/"):
        return url
    return cdn_url.rstrip("/") + url[len(CDN_URL) :]


def tds_path(stem: str) -> str:
    return f"{PDF_DIR}tds/{stem}-tds.pdf"


def sds_path(stem: str) -> str:
    return f"{PDF_DIR}sds/{stem}-sds.pdf"


def line_of(slug: str) -> MortarLine | GroutLine | CaulkLine | CareLine | None:
    """The product line a product slug belongs to (the first that matches), or None."""
    text = f"-{slug.lower()}-"
    return next((line for line in LINES if re.search(line.match, text)), None)


def data_sheets(slug: str, with_sds: bool) -> list[dict[str, str]]:
    """What the page of a product of a line names: the line's technical data sheet, and its safety
    data sheet when `with_sds` (not every page lists it); nothing for a product of no line."""
    line = line_of(slug)
    if line is None:
        return []
    docs = [{"Name": "Technical Data Sheet", "Url": CDN_URL + tds_path(line.stem)}]
    if with_sds:
        docs.append({"Name": "Safety Data Sheet", "Url": CDN_URL + sds_path(line.stem)})
    return docs


def safety_data_sheet(material: str) -> dict[str, str]:
    """A tile's safety data sheet, one per tile material."""
    if material not in TILE_SDS_MATERIALS:
        raise ValueError(f"no tile safety data sheet for {material!r}")
    return {
        "Name": f"{material} Safety Data Sheet",
        "Url": f"{CDN_URL}{PDF_DIR}safety-data-sheets/{material.lower()}-tile-safety-data-sheet.pdf",
    }


def flooring_documents(material: str) -> list[dict[str, str]]:
    """A vinyl, laminate or wood floor's installation instructions and warranty."""
    stem = FLOORING_STEMS[material]
    return [
        {
            "Name": "Installation Instructions",
            "Url": f"{CDN_URL}{PDF_DIR}installation/{stem}-installation-instructions.pdf",
        },
        {"Name": "Warranty", "Url": f"{CDN_URL}{PDF_DIR}warranty/{stem}-warranty.pdf"},
    ]
