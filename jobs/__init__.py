"""arq workers: task wrappers and cron schedules around core services (thin)."""
