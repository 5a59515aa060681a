"""What both services (the app, rag_app; the crawl service, crawler) serve with: HTTP limits and the
bearer check (http), uvicorn's configuration (server), the listening address (listen), logs and
redaction, and the settings base every process's settings derive from (settings).

The bottom layer: it imports nothing else of the project, so the crawl service's image ships it
with `crawl/` alone.
"""
