"""Idempotency keys: a creating request's key claimed in the use case's own transaction."""
