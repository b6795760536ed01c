"""/subagents (direct children: card, orders, report, freeze) and /allocate, /reclaim (money to and from them)."""
