"""Story S6: 3940 disputes screened, 3872 resolved → 98.27 % with its formula, the same on the
indicator API, the dashboard, the drill-down list, the ledger and the report; and scope."""

import io
import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from fengqiao.analytics.facts import rebuild_all_facts
from fengqiao.analytics.models import ExportJob
from fengqiao.cases.models import Case, CaseState, Category, Channel

SCREENED, RESOLVED = 3940, 3872
PERIOD = "2023-01-01..2025-12-31"


@pytest.fixture
def s6(world, personas, settings):
    categories = list(Category.objects.filter(code__in=["neighbourhood", "marriage_family"]))
    channel = Channel.objects.get(code="screening")
    grids = list(world.grids.values())
    start = timezone.make_aware(datetime(2023, 1, 5, 10, 0))
    rows = []
    for n in range(SCREENED):
        grid = grids[n % len(grids)]
        community = grid.community
        created = start + timedelta(hours=6 * n)
        done = n < RESOLVED
        rows.append(
            Case(
                tracking_number=f"S6-{n:05d}",
                kind="dispute",
                category=categories[n % 2],
                title=f"矛盾纠纷{n}",
                channel=channel,
                grid=grid,
                community=community,
                street=community.parent,
                district=world.district,
                region_path=community.path,
                created_at=created,
                accepted_at=created,
                state=CaseState.CLOSED if done else CaseState.IN_PROGRESS,
                resolved_at=created + timedelta(days=3) if done else None,
                closed_at=created + timedelta(days=4) if done else None,
                outcome_success=True if done else None,
                outcome="调解成功" if done else "",
            )
        )
    Case.objects.bulk_create(rows, batch_size=1000)
    rebuild_all_facts()
    return world, personas


def district_params(world, **extra):
    return {"region": world.district.pk, "period": PERIOD, **extra}


def test_s6_api_gives_98_27_with_formula(s6, client_for):
    world, personas = s6
    r = client_for(personas.leader).get(
        "/api/v1/analytics/values/", district_params(world, indicator="resolution_rate")
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["value"] == "98.27" and body["display"] == "98.27%"
    assert (body["numerator"], body["denominator"]) == (RESOLVED, SCREENED)
    assert "÷" in body["formula"] and "ROUND_HALF_UP" in body["rounding"]
    assert body["previous"]["denominator"] == 0 and body["previous"]["value"] is None
    for code, expected in [("screened", SCREENED), ("resolved", RESOLVED)]:
        r = client_for(personas.leader).get(
            "/api/v1/analytics/values/", district_params(world, indicator=code)
        )
        assert r.json()["value"] == str(expected)
    defs = client_for(personas.leader).get("/api/v1/analytics/indicators/").json()
    assert {d["code"] for d in defs} >= {"screened", "resolution_rate", "on_time_rate"}


def test_s6_dashboard_drilldown_ledger_and_report_show_the_same_figures(
    s6, client_for, django_capture_on_commit_callbacks, settings
):
    world, personas = s6
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    c = client_for(personas.leader)
    page = c.get("/monitor/", district_params(world)).content.decode()
    assert "98.27%" in page and f"{RESOLVED}" in page and f"{SCREENED}" in page
    assert "ROUND_HALF_UP" in page
    # Every street and the drill-down list behind the figure.
    assert world.taoxi.name in page and world.taonan.name in page
    drill = c.get("/monitor/cases/", district_params(world, indicator="resolved"))
    assert drill.status_code == 200
    assert f'<strong id="drill-total">{RESOLVED}</strong>' in drill.content.decode()
    den = c.get(
        "/monitor/cases/", district_params(world, indicator="resolution_rate", part="denominator")
    )
    assert f'<strong id="drill-total">{SCREENED}</strong>' in den.content.decode()
    # The screening ledger lists the same 3940 cases, its header the same rate.
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(
            "/monitor/ledgers/export/",
            {"ledger": "screening", "region": world.district.pk, "period": PERIOD},
        )
    assert r.status_code == 302
    job = ExportJob.objects.get()
    assert job.state == ExportJob.State.DONE and job.rows_done == SCREENED
    from openpyxl import load_workbook

    book = load_workbook(job.file.path, read_only=True)
    sheet = book.worksheets[0]
    values = [row for row in sheet.iter_rows(values_only=True)]
    header = " ".join(str(v[0]) for v in values[:4])
    assert "98.27%" in header and f"{RESOLVED} / {SCREENED}" in header
    data_rows = [v for v in values if isinstance(v[0], int)]
    assert len(data_rows) == SCREENED
    status = c.get(f"/monitor/ledgers/export/{job.pk}/", HTTP_HX_REQUEST="true")
    assert 'data-state="done"' in status.content.decode()
    # The reports.
    docx = c.get("/monitor/report/", district_params(world, format="docx"))
    from docx import Document

    doc = Document(io.BytesIO(docx.content))
    cells = [cell.text for t in doc.tables for row in t.rows for cell in row.cells]
    assert "98.27%" in cells and f"{RESOLVED} / {SCREENED}" in cells
    pdf = c.get("/monitor/report/", district_params(world, format="pdf"))
    assert pdf["Content-Type"] == "application/pdf"
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "98.27%" in text and f"{RESOLVED} / {SCREENED}" in text
    # The narrative says the same figure in words, and ranks the streets.
    words = "".join(text.split())
    assert f"其中排查矛盾纠纷{SCREENED}件；已化解{RESOLVED}件，化解率98.27%。" in words
    assert f"按矛盾纠纷化解率排名，{world.taonan.name}居首" in words
    paragraphs = "".join(p.text for p in doc.paragraphs)
    assert "一、总体情况" in paragraphs and "化解率98.27%" in paragraphs


def test_station_clerk_never_counts_another_community(s6, client_for):
    world, personas = s6
    songshan = Case.objects.filter(community=world.songshan).count()
    assert 0 < songshan < SCREENED
    c = client_for(personas.station_clerk)
    r = c.get("/api/v1/analytics/values/", {"indicator": "screened", "period": PERIOD})
    assert r.json()["value"] == str(songshan)
    # Asking for the whole district is refused, naming the field.
    r = c.get("/api/v1/analytics/values/", district_params(world, indicator="screened"))
    assert r.status_code == 400 and "region" in r.content.decode()
    page = c.get("/monitor/", {"period": PERIOD}).content.decode()
    assert f">{songshan}</a>" in page and f">{SCREENED}</a>" not in page
    drill = c.get("/monitor/cases/", {"indicator": "screened", "period": PERIOD})
    assert f'<strong id="drill-total">{songshan}</strong>' in drill.content.decode()


@pytest.mark.parametrize(
    "url",
    ["/monitor/", "/monitor/cards/", "/monitor/cases/?indicator=screened", "/monitor/screen/", "/monitor/ledgers/",
     "/monitor/screen/feed/", "/monitor/screen/figures/", "/monitor/report/", "/api/v1/analytics/indicators/", "/api/v1/analytics/values/?indicator=screened"],
)  # fmt: skip
def test_outsider_and_grid_worker_see_nothing(world, personas, client_for, url, settings):
    for who in (personas.outsider, personas.grid_worker):
        assert client_for(who).get(url).status_code == 403


def test_bad_filters_are_named_not_500(world, personas, client_for, settings):
    c = client_for(personas.leader)
    for params, field in [
        ({"indicator": "screened", "period": "2026-13"}, "period"),
        ({"indicator": "screened", "region": "abc"}, "region"),
        ({"indicator": "screened", "category": "nope"}, "category"),
        ({"indicator": "nope"}, "indicator"),
    ]:
        r = c.get("/api/v1/analytics/values/", params)
        assert r.status_code == 400 and field in r.content.decode(), (params, r.content)
    assert c.get("/monitor/", {"period": "garbage"}).status_code == 200
    assert c.get("/monitor/cases/", {"indicator": "screened", "period": "x"}).status_code == 400


def test_dashboard_speaks_chinese_with_formulas(world, personas, client_for, settings):
    page = client_for(personas.leader).get("/monitor/", {"period": "2026-03"}).content.decode()
    assert "矛盾纠纷化解率" in page and "化解矛盾纠纷数 ÷ 排查矛盾纠纷数 × 100%" in page
    assert "四舍五入（ROUND_HALF_UP）" in page and "数据监控分析室" in page
    screen = client_for(personas.leader).get("/monitor/screen/").content.decode()
    assert 'hx-trigger="every 60s"' in screen and "screen" in screen
    # Figures, the grid map, the live feed and three charts: no empty third.
    for part in ('id="grid-map"', 'id="screen-feed"', "实时动态", 'id="chart-categories"'):
        assert part in screen


def test_s6_truncated_as_the_district_publishes(s6, client_for):
    # The district's administrator states its published precision: one decimal, truncated.
    from fengqiao.analytics.models import IndicatorDisplay, Rounding

    world, personas = s6
    IndicatorDisplay.objects.create(
        indicator="resolution_rate", decimals=1, rounding=Rounding.TRUNCATE
    )
    r = client_for(personas.leader).get(
        "/api/v1/analytics/values/", district_params(world, indicator="resolution_rate")
    )
    body = r.json()
    assert body["value"] == "98.2" and body["display"] == "98.2%"
    assert (body["numerator"], body["denominator"]) == (RESOLVED, SCREENED)
    assert "ROUND_DOWN" in body["rounding"]


def test_screen_feed_is_the_newest_cases_in_scope(s6, client_for):
    world, personas = s6
    feed = client_for(personas.station_clerk).get("/monitor/screen/feed/", {"period": PERIOD})
    ids = [int(i) for i in re.findall(r'href="/cases/([0-9]+)/"', feed.content.decode())]
    assert len(ids) == 12
    assert set(Case.objects.filter(pk__in=ids).values_list("community", flat=True)) == {
        world.songshan.pk
    }
    newest = Case.objects.filter(community=world.songshan).order_by("-created_at", "-id")
    assert ids == list(newest.values_list("pk", flat=True)[:12])


def test_report_without_its_font_answers_503_and_the_docx_still_works(
    world, personas, client_for, settings
):
    settings.PDF_CJK_FONT = "/nonexistent/font.ttf"
    c = client_for(personas.leader)
    pdf = c.get("/monitor/report/", {"format": "pdf"})
    assert pdf.status_code == 503 and "DOCX" in pdf.content.decode()
    assert c.get("/monitor/report/", {"format": "docx"}).status_code == 200
