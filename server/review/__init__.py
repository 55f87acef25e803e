"""The generic review core: what the office does with any declared record type — its audit
history, its detail, the conflict inbox, the rejections, blob visibility (server/sync/blobs.py)
— so a domain adds only its own screens and queries."""
