"""The domain kit: record declarations, argument checks, streams, export to the phone."""
