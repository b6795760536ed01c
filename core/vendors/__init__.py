"""Clients for the gift-card vendors Steller buys from (today: Bamboo)."""
