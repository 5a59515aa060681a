"""Moving the project between databases: dump, restore and verify (the SQL is in store/server.py and
store/fingerprint.py). The predecessor system's import is legacy/."""
