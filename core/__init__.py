"""Steller's domain core. Never imports a front (fastapi, aiogram) or the job runner (arq)."""
