"""Version 1 of the partner API: one router per resource."""
