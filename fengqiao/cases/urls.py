"""Case pages (filled by the cases work)."""

app_name = "cases"
urlpatterns: list = []
