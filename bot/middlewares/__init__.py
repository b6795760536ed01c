"""One middleware per concern, installed in this order by bot.app.build_dispatcher: every press answered
(outermost) → errors (nothing escapes) → throttling → database + context (one transaction per update)."""
