"""/broadcast: an admin's message to every agent and sub-agent, after a preview and one confirmation."""
