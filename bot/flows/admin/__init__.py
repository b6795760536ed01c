"""The admin side of the bot (BOT.md, Admin): every handler re-checks admin rights per update."""
