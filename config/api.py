"""The REST API under /api/v1/ (OpenAPI at /api/v1/openapi.json). Apps add their routers here."""

from ninja import NinjaAPI

api = NinjaAPI(title="kpa", version="1", urls_namespace="api")
