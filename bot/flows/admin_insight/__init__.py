"""Admin insight: /metrics (growth figures and a chart), /vendor (Bamboo balance, rate limits, catalog
sync, stuck orders), /sync (a catalog sync now, its progress in one message) and /audit (the log)."""
