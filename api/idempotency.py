"""Idempotency-Key for creating POSTs (being built)."""
