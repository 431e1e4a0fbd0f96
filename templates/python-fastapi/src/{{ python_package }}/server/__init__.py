"""The service's HTTP layer: the app with every route, middleware and the health endpoints."""
