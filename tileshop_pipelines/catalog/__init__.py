"""tileshop.com catalog rules as plain Python: product URLs and keys, sitemaps, product pages."""
