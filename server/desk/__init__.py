"""Front-desk logs at the office: visitors, goods-out passes and their gate checks, shift
handovers (sync/domains/desk)."""
