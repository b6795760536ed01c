"""The Telegram bot (aiogram 3): routers, keyboards, middlewares, locales — thin over core/."""
