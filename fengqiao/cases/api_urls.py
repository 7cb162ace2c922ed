"""Case API endpoints (filled by the cases work)."""

urlpatterns: list = []
