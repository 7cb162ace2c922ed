"""Bench-only WSGI entry point: the real Django application plus two bare endpoints.

`POST /bench/bare-insert/` reads the JSON body and inserts it as one row into the table
`bench_bare_insert` (created by bench/intake_bench.py in its own database) through Django's
own database connection, with the same connection policy as Django requests
(close_old_connections before and after, so DB_CONN_MAX_AGE applies equally). Every other
path goes to the unchanged product application. It exists so the intake benchmark can
compare the full intake with "one insert on the same stack" (gunicorn, Python, Django's
database layer, PostgreSQL) without adding a URL to the product.

`POST /bench/bare-drf-insert/` does the same insert through the product's whole stack (every
middleware, DRF, token authentication), to show what the framework itself costs per request.

    gunicorn bench.bare_app:application ...
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")

from django.core.wsgi import get_wsgi_application

django_application = get_wsgi_application()

from django.db import close_old_connections, connection, transaction  # noqa: E402

BARE_PATH = "/bench/bare-insert/"
TABLE = "bench_bare_insert"
CREATE_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(id bigserial PRIMARY KEY, payload jsonb NOT NULL, created_at timestamptz NOT NULL)"
)


def _respond(start_response, status: str, body: dict) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


def bare_insert(environ, start_response) -> list[bytes]:
    if environ.get("REQUEST_METHOD") != "POST":
        return _respond(start_response, "405 Method Not Allowed", {"detail": "POST only"})
    close_old_connections()
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            payload = json.loads(environ["wsgi.input"].read(length) or b"{}")
        except ValueError:
            return _respond(start_response, "400 Bad Request", {"detail": "invalid JSON"})
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE} (payload, created_at) VALUES (%s, now()) RETURNING id",
                [json.dumps(payload, ensure_ascii=False)],
            )
            new_id = cursor.fetchone()[0]
        return _respond(start_response, "201 Created", {"id": new_id})
    finally:
        close_old_connections()


# The same insert as a DRF view behind the product's whole stack: Django's handler, every
# middleware, DRF's token authentication and permissions, JSON parsing and rendering. It is
# served from a URLconf of this module (the product's patterns plus this one), so the product
# itself still has no bench URL.
BARE_DRF_PATH = "/bench/bare-drf-insert/"


def _bare_drf_view():
    from rest_framework import status
    from rest_framework.parsers import JSONParser
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class BareDrfInsert(APIView):
        parser_classes = [JSONParser]

        def post(self, request):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {TABLE} (payload, created_at) VALUES (%s, now()) RETURNING id",
                    [json.dumps(request.data, ensure_ascii=False)],
                )
                new_id = cursor.fetchone()[0]
            return Response({"id": new_id}, status=status.HTTP_201_CREATED)

    return BareDrfInsert.as_view()


def _use_bench_urlconf() -> None:
    import types

    from django.conf import settings
    from django.urls import path

    product = __import__(settings.ROOT_URLCONF, fromlist=["urlpatterns"])
    module = types.ModuleType("bench_urls")
    module.urlpatterns = [path(BARE_DRF_PATH.strip("/") + "/", _bare_drf_view())]
    module.urlpatterns += list(product.urlpatterns)
    for name in ("handler400", "handler403", "handler404", "handler500"):
        if hasattr(product, name):
            setattr(module, name, getattr(product, name))
    sys.modules["bench_urls"] = module
    settings.ROOT_URLCONF = "bench_urls"


_use_bench_urlconf()


def application(environ, start_response):
    if environ.get("PATH_INFO") == BARE_PATH:
        return bare_insert(environ, start_response)
    return django_application(environ, start_response)
