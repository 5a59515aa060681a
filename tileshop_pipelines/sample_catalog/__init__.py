"""A deterministic, locally served stand-in for tileshop.com (which our machines cannot reach).

    catalog = build_catalog(n_products=500, seed=7)
    with CatalogServer(catalog) as server:
        server.base_url          # http://127.0.0.1:PORT; /robots.txt, /sitemap.xml, product pages
        server.faults.set_status("/products/...", 503)
"""

from .catalog import QUIRK_PATHS, Catalog, build_catalog
from .faults import Faults
from .known_products import KNOWN_SKUS
from .model import SampleProduct
from .server import CatalogServer, run_server

__all__ = [
    "KNOWN_SKUS",
    "QUIRK_PATHS",
    "Catalog",
    "CatalogServer",
    "Faults",
    "SampleProduct",
    "build_catalog",
    "run_server",
]
