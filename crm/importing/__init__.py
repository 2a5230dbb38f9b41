"""Importing contact files: sniff the file, guess the mapping, clean rows in Python,
COPY them into a staging table, then merge into the contact base with set-based SQL,
all in one transaction. See pipeline.py for the order of things."""
