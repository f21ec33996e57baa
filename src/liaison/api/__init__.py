"""The HTTP API (FastAPI) under /v1: a thin layer over liaison.gateway."""
