"""Stored files (issue 12): every file leaves through a view that checks the scope of its record.

For each kind of file (case attachment on the case page, in the API, on the mediation page and on
the resident's tracking page; ledger export) the owner gets it, while anonymous users, the outsider
persona and other users get 302/401/403/404 and never the bytes; `/media/` serves nothing; names
are random; exports expire; behind nginx the answer is an X-Accel-Redirect.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from fengqiao.analytics.ledgers import purge_expired_exports
from fengqiao.analytics.models import ExportJob
from fengqiao.api.tokens import issue_token
from fengqiao.cases import actions
from fengqiao.cases.models import Attachment
from fengqiao.core import caches
from tests.case_factories import make_case_world, report
from tests.mediation_factories import make_mediation_world, started

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64 + b"secret-photo"
PDF = b"%PDF-1.4\n% staff only\n"
PHONE = "13904641234"


def _upload(actor, case, name: str, content: bytes, public: bool = False) -> Attachment:
    ctype = "application/pdf" if content.startswith(b"%PDF") else "image/png"
    return actions.add_attachment(
        actor, case, SimpleUploadedFile(name, content, ctype), public=public
    )


@pytest.fixture
def filed(world, personas):
    """A case in 花园社区 with a staff-only PDF and a photo shown to the reporter."""
    cw = make_case_world(world)
    case = report(None, reporter_phone=PHONE).case
    private = _upload(cw.huayuan_clerk, case, "调查笔录.pdf", PDF)
    shown = _upload(cw.huayuan_clerk, case, "现场.png", PNG, public=True)
    case.refresh_from_db()
    return cw, case, private, shown


def _no_bytes(resp, content: bytes) -> bool:
    body = b"".join(resp.streaming_content) if resp.streaming else resp.content
    return content not in body


def _body(resp) -> bytes:
    return b"".join(resp.streaming_content) if resp.streaming else resp.content


# -- case attachments: staff pages --------------------------------------------------------------


def test_case_page_links_and_serves_attachments_to_those_who_work_the_case(filed, client_for):
    cw, case, private, shown = filed
    c = client_for(cw.huayuan_clerk)
    page = c.get(f"/cases/{case.pk}/").content.decode()
    assert f"/cases/{case.pk}/files/{private.pk}/" in page and "/media/" not in page
    resp = c.get(f"/cases/{case.pk}/files/{private.pk}/")
    assert resp.status_code == 200 and _body(resp) == PDF
    assert resp["Content-Type"] == "application/pdf"
    assert resp["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in resp["Content-Security-Policy"]
    photo = c.get(f"/cases/{case.pk}/files/{shown.pk}/")
    assert photo.status_code == 200 and _body(photo) == PNG
    assert photo["Content-Disposition"].startswith("inline;")


@pytest.mark.parametrize("who", ["outsider", "station_clerk", "liaison"])
def test_case_files_hidden_from_outsiders_and_other_areas(filed, personas, client_for, who):
    _cw, case, private, shown = filed
    c = client_for(getattr(personas, who))
    for a in (private, shown):
        resp = c.get(f"/cases/{case.pk}/files/{a.pk}/")
        assert resp.status_code in (403, 404), (who, resp.status_code)
        assert _no_bytes(resp, PDF) and _no_bytes(resp, PNG)


def test_case_files_need_a_login(filed):
    _cw, case, private, _shown = filed
    resp = Client().get(f"/cases/{case.pk}/files/{private.pk}/")
    assert resp.status_code == 302 and resp["Location"].startswith("/login/")


def test_a_viewer_who_does_not_work_the_case_gets_only_the_public_files(
    filed, personas, client_for
):
    _cw, case, private, shown = filed
    c = client_for(personas.admin)  # views the district's cases, works none of them
    assert c.get(f"/cases/{case.pk}/files/{private.pk}/").status_code == 404
    resp = c.get(f"/cases/{case.pk}/files/{shown.pk}/")
    assert resp.status_code == 200 and _body(resp) == PNG


def test_an_attachment_is_only_served_under_its_own_case(filed, world, client_for):
    cw, _case, private, _shown = filed
    other = report(None).case
    resp = client_for(cw.huayuan_clerk).get(f"/cases/{other.pk}/files/{private.pk}/")
    assert resp.status_code == 404


# -- case attachments: API ----------------------------------------------------------------------


def test_api_lists_download_urls_that_check_scope(filed, personas, client_for):
    cw, case, private, shown = filed
    token = issue_token(cw.huayuan_clerk, actor=personas.security).secret
    c = Client(HTTP_AUTHORIZATION=f"Token {token}")
    rows = c.get(f"/api/v1/cases/{case.pk}/attachments/").json()
    urls = {r["id"]: r["url"] for r in rows}
    assert urls[private.pk] == f"/api/v1/cases/{case.pk}/attachments/{private.pk}/file/"
    resp = c.get(urls[private.pk])
    assert resp.status_code == 200 and _body(resp) == PDF
    for who in (personas.outsider, personas.station_clerk, personas.liaison):
        denied = client_for(who).get(urls[private.pk])
        assert denied.status_code in (403, 404) and _no_bytes(denied, PDF)
    anonymous = Client().get(urls[private.pk])
    assert anonymous.status_code in (401, 403) and _no_bytes(anonymous, PDF)
    # Someone who only views the case gets the public file, not the staff one.
    assert client_for(personas.admin).get(urls[private.pk]).status_code == 404
    assert client_for(personas.admin).get(urls[shown.pk]).status_code == 200


# -- case attachments: the resident's tracking page ---------------------------------------------


def test_tracking_page_lists_and_serves_only_files_shown_to_the_reporter(filed):
    _cw, case, private, shown = filed
    c = Client()
    page = c.post("/track/", {"tracking_number": case.tracking_number, "phone_last4": "1234"})
    text = page.content.decode()
    assert page.status_code == 200 and "现场.png" in text and "调查笔录.pdf" not in text
    form = {"tracking_number": case.tracking_number, "phone_last4": "1234"}
    resp = c.post("/track/file/", {**form, "attachment": shown.pk})
    assert resp.status_code == 200 and _body(resp) == PNG
    # A staff-only file, wrong digits, another number, nonsense: the same 404, no bytes.
    for data in (
        {**form, "attachment": private.pk},
        {**form, "phone_last4": "9999", "attachment": shown.pk},
        {**form, "tracking_number": "230903-2020-000001", "attachment": shown.pk},
        {**form, "attachment": "¹"},
        {"attachment": shown.pk},
    ):
        refused = c.post("/track/file/", data)
        assert refused.status_code == 404, data
        assert _no_bytes(refused, PNG) and _no_bytes(refused, PDF)
    assert c.get("/track/file/", {**form, "attachment": shown.pk}).status_code == 405


# -- mediation evidence -------------------------------------------------------------------------


def test_mediation_evidence_served_to_the_committee_only(world, personas, client_for):
    mw = make_mediation_world(world, personas.admin, personas.street_clerk)
    m = started(world, mw)
    evidence = _upload(mw.cw.huayuan_clerk, m.case, "证据.pdf", PDF)
    url = f"/mediation/{m.pk}/files/{evidence.pk}/"
    resp = client_for(mw.lead).get(url)
    assert resp.status_code == 200 and _body(resp) == PDF
    for who in (personas.outsider, mw.other_mediator, personas.station_clerk):
        denied = client_for(who).get(url)
        assert denied.status_code in (403, 404) and _no_bytes(denied, PDF)
    assert Client().get(url).status_code == 302
    other_case = report(None).case
    stray = _upload(mw.cw.huayuan_clerk, other_case, "别的.pdf", PDF)
    assert client_for(mw.lead).get(f"/mediation/{m.pk}/files/{stray.pk}/").status_code == 404


# -- /media/ and storage names ------------------------------------------------------------------


def test_media_is_not_served_and_names_are_random(filed, settings, client_for):
    cw, case, private, shown = filed
    for a in (private, shown):
        assert re.fullmatch(rf"cases/{case.pk}/[0-9a-f]{{32}}\.(pdf|png)", a.file.name)
        assert Path(settings.MEDIA_ROOT, a.file.name).read_bytes() in (PDF, PNG)
        for c in (Client(), client_for(cw.huayuan_clerk)):
            assert c.get(f"/media/{a.file.name}").status_code == 404


def test_behind_nginx_the_answer_is_an_internal_redirect(filed, client_for, settings):
    cw, case, private, _shown = filed
    settings.FILE_ACCEL_REDIRECT_PREFIX = "/protected-media/"
    resp = client_for(cw.huayuan_clerk).get(f"/cases/{case.pk}/files/{private.pk}/")
    assert resp.status_code == 200 and resp.content == b""
    assert resp["X-Accel-Redirect"] == f"/protected-media/{private.file.name}"
    assert resp["Content-Type"] == "application/pdf"
    denied = Client().get(f"/cases/{case.pk}/files/{private.pk}/")
    assert "X-Accel-Redirect" not in denied


def test_tests_store_files_in_a_temporary_media_root(settings):
    from django.conf import settings as live

    assert Path(settings.MEDIA_ROOT).resolve() != (Path(live.VAR_DIR) / "media").resolve()
    assert not Path(settings.MEDIA_ROOT).resolve().is_relative_to(Path(live.VAR_DIR).resolve())


# -- ledger exports -----------------------------------------------------------------------------


@pytest.fixture
def export(world, personas, client_for, settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    c = client_for(personas.leader)
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(
            "/monitor/ledgers/export/",
            {"ledger": "screening", "region": world.district.pk, "period": "2026-01"},
        )
    assert r.status_code == 302
    return ExportJob.objects.get()


def test_exports_belong_to_who_asked_and_have_random_names(export, personas, client_for):
    job = export
    assert job.state == ExportJob.State.DONE
    assert re.fullmatch(r"exports/[0-9a-f]{32}\.xlsx", job.file.name)
    assert job.expires_at is not None and job.expires_at > timezone.now() + timedelta(hours=23)
    url = f"/monitor/ledgers/export/{job.pk}/file/"
    resp = client_for(personas.leader).get(url)
    assert resp.status_code == 200 and _body(resp).startswith(b"PK")
    assert 'filename="screening-' in resp["Content-Disposition"]
    # Another user with the same statistics scope, the outsider, anonymous: nothing.
    assert client_for(personas.admin).get(url).status_code == 404
    assert client_for(personas.outsider).get(url).status_code == 403
    assert Client().get(url).status_code == 302
    assert Client().get(f"/media/{job.file.name}").status_code == 404
    assert client_for(personas.leader).get("/media/exports/screening-1.xlsx").status_code == 404


def test_an_expired_export_says_so_and_the_cleanup_deletes_it(export, personas, client_for):
    job = export
    path = Path(job.file.path)
    assert path.exists()
    c = client_for(personas.leader)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    resp = c.get(f"/monitor/ledgers/export/{job.pk}/file/")
    assert resp.status_code == 410
    assert "已过期" in resp.content.decode() and not resp.content.startswith(b"PK")
    assert purge_expired_exports() == 1
    assert not path.exists()
    job.refresh_from_db()
    assert job.state == ExportJob.State.EXPIRED and not job.file
    assert c.get(f"/monitor/ledgers/export/{job.pk}/file/").status_code == 410
    assert purge_expired_exports() == 0  # idempotent
    status = c.get(f"/monitor/ledgers/export/{job.pk}/").content.decode()
    assert "已过期" in status


def test_the_cleanup_keeps_exports_that_have_not_expired(export):
    assert purge_expired_exports() == 0
    assert Path(export.file.path).exists()


# -- process-wide caches ------------------------------------------------------------------------


def test_process_wide_caches_are_registered_and_cleared_with_one_call(world):
    from fengqiao.core import refdata
    from fengqiao.territory import locate

    first = locate.get_locator()
    assert refdata.get("test-value", lambda: 42) == 42
    assert refdata.get("test-value", lambda: 43) == 42  # remembered
    assert {"territory.locate", "core.refdata", "accounts.access", "api.output"} <= set(
        caches.registered()
    )
    caches.clear_all()
    assert locate.get_locator() is not first
    assert refdata.get("test-value", lambda: 43) == 43
