"""Helpers the tests share: free ports, a local HTTP server, the known products' facts, the sample
site with its environment. Plain modules; the fixtures built on them live in conftest.py."""
