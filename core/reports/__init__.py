"""Sales, GMV and commission for a party and its direct children, for the bot and the API."""
