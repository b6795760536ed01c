"""Broadcasts: an admin's message to every agent and sub-agent, delivered by workers within Telegram's limits."""
