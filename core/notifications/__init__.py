"""Notifications: partner webhooks and Telegram messages, written to an outbox and delivered by workers."""
