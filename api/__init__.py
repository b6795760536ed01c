"""The partner REST API (FastAPI): routers and error mapping only; rules live in core/."""
