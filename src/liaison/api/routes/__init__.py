"""The HTTP API's routes, one module per resource (docs/api.md): each holds a module-level
``router`` that ``liaison.api.app.create_app`` includes. Routes take what they need through
FastAPI dependencies (``liaison.api.deps``: the services, the caller's key) and the app's
state (the deployment's limits), never through closures."""
