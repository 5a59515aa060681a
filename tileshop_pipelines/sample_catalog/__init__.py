"""A deterministic, locally served stand-in for tileshop.com (which our machines cannot reach).

catalog = build_catalog(n_products=500, seed=7)
with CatalogServer(catalog) as server:
    server.base_url          # http://127.0.0.1:PORT; /robots.txt, /sitemap.xml, product pages
    server.faults.set_status("/products/...", 503)
    server.cdn.base_url      # http://127.0.0.2:PORT: the documents the product pages name (cdn.py)

DOCUMENTS (documents.py): every document the catalog names and the facts it states
"""

from .catalog import QUIRK_PATHS, Catalog, build_catalog
from .cdn import CDN_HOST, CdnServer
from .documents import DOCUMENTS, Fact, SampleDocument, Value, sample_document
from .faults import Faults
from .known_products import KNOWN_SKUS
from .model import SampleProduct
from .server import CatalogServer, run_server

__all__ = [
    "CDN_HOST",
    "DOCUMENTS",
    "KNOWN_SKUS",
    "QUIRK_PATHS",
    "Catalog",
    "CatalogServer",
    "CdnServer",
    "Fact",
    "Faults",
    "SampleDocument",
    "SampleProduct",
    "Value",
    "build_catalog",
    "run_server",
    "sample_document",
]
