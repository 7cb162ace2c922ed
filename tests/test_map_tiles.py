"""The map's tile source: an XYZ URL or a 天地图 key, allowed by the CSP; none means outlines."""

import importlib
import os
from unittest import mock

import pytest

from fengqiao import settings as fq_settings


def _reload(**env):
    with mock.patch.dict(os.environ, env):
        return importlib.reload(fq_settings)


@pytest.fixture(autouse=True)
def restore_settings():
    yield
    importlib.reload(fq_settings)


def test_tianditu_key_sets_base_and_annotation_layers():
    s = _reload(MAP_TIANDITU_KEY="abc123", MAP_TILE_URL="")
    assert s.MAP_TILE_URL.startswith("https://t{s}.tianditu.gov.cn/vec_w/wmts?")
    assert (
        "LAYER=vec" in s.MAP_TILE_URL and "TILEMATRIX={z}&TILEROW={y}&TILECOL={x}" in s.MAP_TILE_URL
    )
    assert s.MAP_TILE_URL.endswith("tk=abc123")
    assert "LAYER=cva" in s.MAP_LABEL_TILE_URL
    assert s.MAP_TILE_SUBDOMAINS == "01234567"
    assert s.MAP_TILE_ATTRIBUTION == "天地图"
    assert "https://*.tianditu.gov.cn" in s.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"]


def test_a_bad_key_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        _reload(MAP_TIANDITU_KEY="x&tk=evil", MAP_TILE_URL="")


def test_an_xyz_url_wins_and_its_host_is_allowed():
    s = _reload(
        MAP_TIANDITU_KEY="abc", MAP_TILE_URL="https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    )
    assert s.MAP_TILE_URL.startswith("https://{s}.tiles.example.org/")
    assert "https://*.tiles.example.org" in s.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"]
    assert s.MAP_LABEL_TILE_URL == ""


def test_tiles_served_by_the_site_need_no_csp_entry():
    s = _reload(MAP_TILE_URL="/static/tiles/{z}/{x}/{y}.png", MAP_TIANDITU_KEY="")
    assert s.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] == ["'self'", "data:", "blob:"]


def test_map_pages_pass_the_tile_source(client_for, personas, settings):
    settings.MAP_TILE_URL = "https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=k"
    settings.MAP_LABEL_TILE_URL = "https://t{s}.tianditu.gov.cn/cva_w/wmts?tk=k"
    settings.MAP_TILE_SUBDOMAINS = "01234567"
    html = client_for(personas.leader).get("/territory/").content.decode()
    assert 'data-tile-subdomains="01234567"' in html
    assert 'data-label-url="https://t{s}.tianditu.gov.cn/cva_w/wmts?tk=k"' in html
    assert "web/basemap.js" in html
