"""The predecessor system (tileshop-rag): its checkpoint files and product_data rows, read and mapped
onto this project's records. Pure Python; the SQL is in store/legacy.py and store/legacy_versions.py."""
