"""PDF bytes -> text per page, bounded: pypdf with tightened limits (extract.py), run in worker
processes that a time limit and a memory limit can stop (worker.py, pool.py)."""
