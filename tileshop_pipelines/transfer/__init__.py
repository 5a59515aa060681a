"""Moving data between databases: dump, restore and verify (the SQL is in store/server.py and
store/fingerprint.py), and the predecessor system's progress and data carried over (its mapping is
legacy/, its SQL store/legacy.py and store/legacy_versions.py). Schema migrations are not this:
store/migrations/."""
