import pytest
from django.test import Client

from fengqiao.core import caches
from tests.factories import Personas, World, make_personas, make_world


@pytest.fixture(autouse=True)
def fast(settings):
    """The one fixture that makes tests fast: cheap password hashing for the many accounts tests
    create. Argon2 (deliberately slow) stays listed so hashes made outside a test (module-scoped
    data) still verify."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    """Uploads and exports of a test go to a temporary folder, never to var/media."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def _fresh_caches(settings):
    # Each test gets its own database state: never reuse another test's spatial index,
    # reference-data snapshot or remembered Access (ids start again after a rollback).
    settings.GRID_INDEX_CHECK_SECONDS = 0
    caches.clear_all()
    yield
    caches.clear_all()


@pytest.fixture
def world(db) -> World:
    return make_world()


@pytest.fixture
def personas(world) -> Personas:
    return make_personas(world)


@pytest.fixture
def client_for():
    """A logged-in test client for a persona."""

    def make(user) -> Client:
        c = Client()
        c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return c

    return make


def pytest_collection_modifyitems(items):
    """Every transactional test restores the data that migrations preload (categories, channels…).

    A transactional test ends with a flush; without serialized_rollback the preloaded reference data
    would be gone for every test that runs after it.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            kwargs = {**marker.kwargs, "serialized_rollback": True}
            item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)
