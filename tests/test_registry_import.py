"""Import and export of houses, households (with their members), places and organisations in
the districts' layout (issue 18): all rows or none with a row report, dry run, CSV in UTF-8,
UTF-8 with BOM and GBK, XLSX, scope, X-extension columns, and the export importing back."""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from openpyxl import Workbook, load_workbook

from fengqiao.core.models import AuditEntry, SensitiveAccess
from fengqiao.registry import importing, records, services
from fengqiao.registry.importing import engine, jobs
from fengqiao.registry.importing.records import CHOICES, LAYOUTS
from fengqiao.registry.models import (
    Base,
    House,
    Household,
    ImportJob,
    Organisation,
    Place,
    PlaceKind,
    RegistryField,
    RegistryKind,
    Resident,
)
from tests.case_factories import use_immediate_tasks
from tests.test_registry import HUAYUAN_1, HUAYUAN_2, SONGSHAN_1, citizen_id

KINDS = ["houses", "households", "places", "organisations"]
MODELS = {"houses": House, "households": Household, "places": Place, "organisations": Organisation}
OUT_OF_SCOPE = "请选择您管辖范围内的网格。"


@pytest.fixture
def base(world, personas):
    """A house with a code and three residents of 花园 grid 1 (one of them elsewhere)."""
    clerk = personas.street_clerk
    PlaceKind.objects.get_or_create(code="shop", defaults={"name": "商铺"})
    house = records.save_record(
        clerk,
        records.SPECS["houses"],
        {"grid": world.grids[HUAYUAN_1].pk, "address": "花园小区1号楼", "building_code": "HY-1"},
    )
    people = [
        services.save_resident(
            clerk,
            {
                "grid": world.grids[grid].pk,
                "kind": "registered",
                "name": name,
                "id_number": citizen_id(seq),
            },
        )
        for seq, name, grid in (
            (61, "赵一", HUAYUAN_1),
            (62, "赵二", HUAYUAN_1),
            (63, "钱三", SONGSHAN_1),
        )
    ]
    return {"house": house, "people": people}


def good_row(kind: str, n: int = 1) -> dict[str, str]:
    """A correct row of `kind` in 花园 grid 1 (the n-th: distinct keys)."""
    row = {"网格编码": HUAYUAN_1}
    if kind == "houses":
        row |= {
            "房屋地址": f"花园小区{n + 1}号楼",
            "房屋编码": f"HY-{n + 1}",
            "房屋用途": "住宅",
            "使用情况": "出租",
            "建筑面积（平方米）": "85.50",
            "产权人": "王五",
            "产权人联系电话": "13900004444",
        }
    elif kind == "households":
        row |= {
            "户号": f"HH-{n}",
            "户别": "家庭户",
            "住址": f"花园小区1号楼{n}01",
            "户主姓名": "赵一",
            "所在房屋": "HY-1",
            "成员身份证号": f"{citizen_id(61)}、{citizen_id(62)}" if n == 1 else "",
        }
    elif kind == "places":
        row |= {
            "场所名称": f"花园超市{n}",
            "场所类别": "商铺",
            "场所地址": "花园路1号",
            "负责人": "孙七",
            "负责人联系电话": "13900006666",
            "经度": "126.65",
            "纬度": "47.35",
            "治安重点场所": "是",
        }
    else:
        row |= {
            "组织名称": f"花园物业{n}",
            "组织类别": "非公有制经济组织",
            "统一社会信用代码": f"91230903MA12345{n:02d}X",
            "法定代表人": "周八",
            "联系电话": "13900005555",
            "从业人数": "12",
            "已建党组织": "是",
            "已建工会": "否",
        }
    return row


def headers(kind: str) -> list[str]:
    return [c.header for c in importing.LAYOUTS[kind].columns()]


def as_csv(kind: str, rows: list[dict[str, str]], encoding: str = "utf-8-sig") -> bytes:
    cols = headers(kind)
    lines = [",".join(cols)] + [",".join(r.get(h, "") for h in cols) for r in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def as_xlsx(kind: str, rows: list[dict[str, str]]) -> bytes:
    wb = Workbook()
    cols = headers(kind)
    wb.active.append(cols)
    for r in rows:
        wb.active.append([r.get(h, "") for h in cols])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def run(actor, kind, content, name="x.csv", dry_run=False):
    return importing.run_import(importing.LAYOUTS[kind], actor, name, content, dry_run=dry_run)


def test_layouts_cover_every_field_and_choice():
    for kind in KINDS:
        spec = records.SPECS[kind]
        fields = {f for _h, f in LAYOUTS[kind]} - {"grid", "members"}
        assert fields == {f.name for f in spec.fields}, kind
        for f in spec.fields:
            if f.type == "choice":
                stored = set(CHOICES[kind][f.name].values())
                assert stored == {v for v, _t in records.choices(spec, f)}, (kind, f.name)


@pytest.mark.parametrize("kind", KINDS)
def test_happy_import_goes_through_the_desk_action(kind, base, personas):
    model = MODELS[kind]
    before = model.objects.count()
    report = run(personas.street_clerk, kind, as_csv(kind, [good_row(kind, 1), good_row(kind, 2)]))
    assert report.ok, report.errors
    assert report.created == 2 and model.objects.count() == before + 2
    created = list(model.objects.order_by("-id")[:2])
    # One audit entry per record (the desk action's) and one for the import.
    for obj in created:
        assert AuditEntry.objects.filter(
            object_type=model._meta.label_lower, object_id=str(obj.pk), action="create"
        ).exists()
    assert AuditEntry.objects.filter(object_id="import", object_repr="x.csv").count() == 1
    obj = created[-1]
    if kind == "houses":
        assert (obj.use, obj.tenure, str(obj.area)) == ("residential", "rented", "85.50")
        assert obj.owner_phone == "13900004444" and "13900004444" not in obj.owner_phone_ct
    elif kind == "households":
        assert obj.house == base["house"] and obj.kind == "family"
        assert sorted(obj.members.values_list("name", flat=True)) == ["赵一", "赵二"]
        assert (
            AuditEntry.objects.filter(
                object_type="registry.resident", action="update", changes__has_key="household"
            ).count()
            == 2
        )
    elif kind == "places":
        assert obj.kind.code == "shop" and obj.key_place and obj.lon == 126.65
        assert obj.principal_phone == "13900006666" and obj.principal_phone_ct
    else:
        assert obj.kind == "non_public" and obj.employees == 12
        assert obj.has_party_organisation and not obj.has_union
        assert obj.phone == "13900005555" and "13900005555" not in obj.phone_ct


BAD = {
    "houses": (
        {"房屋地址": "", "房屋用途": "宫殿", "产权人联系电话": "12ab", "建筑面积（平方米）": "大"},
        {("房屋地址", "该字段是必填项。"), ("房屋用途", None), ("产权人联系电话", None)},
    ),
    "households": (
        {"户别": "大户", "所在房屋": "不存在的房子", "成员身份证号": citizen_id(63)},
        {
            ("户别", None),
            ("所在房屋", "该网格内没有这个编码或地址的房屋。"),
            ("成员身份证号", None),
        },
    ),
    "places": (
        {"场所类别": "飞船", "经度": "500", "治安重点场所": "也许"},
        {("场所类别", None), ("经度", None), ("治安重点场所", "请选择：是、否。")},
    ),
    "organisations": (
        {"组织类别": "", "从业人数": "-3", "已建工会": "有"},
        {("组织类别", "该字段是必填项。"), ("从业人数", None), ("已建工会", None)},
    ),
}


@pytest.mark.parametrize("kind", KINDS)
def test_bad_rows_are_reported_and_nothing_is_saved(kind, base, personas):
    model = MODELS[kind]
    before = model.objects.count()
    bad, expected = BAD[kind]
    rows = [good_row(kind, 1), good_row(kind, 2) | bad, good_row(kind, 1) | {"成员身份证号": ""}]
    report = run(personas.street_clerk, kind, as_csv(kind, rows))
    assert not report.ok and report.created == 0
    assert model.objects.count() == before
    got = {(e.column, e.reason) for e in report.errors if e.row == 3}
    for column, reason in expected:
        assert column in {c for c, _r in got}, (column, got)
        if reason:
            assert (column, reason) in got
    # Every reason in Chinese; the repeated first row named at its key column.
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in e.reason) for e in report.errors)
    repeat = [e for e in report.errors if e.row == 4]
    assert len(repeat) == 1 and "第2行" in repeat[0].reason
    if kind == "households":
        assert Resident.objects.filter(household__isnull=False).count() == 0


@pytest.mark.parametrize("kind", KINDS)
def test_dry_run_saves_nothing(kind, base, personas):
    model = MODELS[kind]
    before, audits = model.objects.count(), AuditEntry.objects.count()
    report = run(personas.street_clerk, kind, as_csv(kind, [good_row(kind)]), dry_run=True)
    assert report.ok and report.dry_run and report.rows == 1 and report.created == 0
    assert model.objects.count() == before and AuditEntry.objects.count() == audits
    assert Resident.objects.filter(household__isnull=False).count() == 0


@pytest.mark.parametrize("kind", KINDS)
def test_gbk_and_xlsx_files(kind, base, personas):
    gbk = as_csv(kind, [good_row(kind, 1)], encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")
    assert run(personas.street_clerk, kind, gbk).created == 1
    plain = as_csv(kind, [good_row(kind, 2)], encoding="utf-8")
    assert run(personas.street_clerk, kind, plain).created == 1
    report = run(personas.street_clerk, kind, as_xlsx(kind, [good_row(kind, 3)]), "x.xlsx")
    assert report.created == 1, report.errors


@pytest.mark.parametrize("kind", KINDS)
def test_grids_outside_the_importers_area_are_refused(kind, base, personas, world):
    model = MODELS[kind]
    before = model.objects.count()
    rows = [good_row(kind, 1) | {"成员身份证号": ""}, good_row(kind, 2) | {"网格编码": HUAYUAN_2}]
    # The grid worker's area is 花园 grid 1; grid 2 is the neighbour's.
    report = run(personas.grid_worker, kind, as_csv(kind, rows))
    assert [(e.row, e.column, e.reason) for e in report.errors] == [(3, "网格编码", OUT_OF_SCOPE)]
    # The 松山 station clerk: 花园 is another community.
    report = run(personas.station_clerk, kind, as_csv(kind, rows[:1]))
    assert (2, "网格编码", OUT_OF_SCOPE) in [(e.row, e.column, e.reason) for e in report.errors]
    unknown = run(personas.street_clerk, kind, as_csv(kind, [good_row(kind) | {"网格编码": "9"}]))
    assert [(e.row, e.column) for e in unknown.errors] == [(2, "网格编码")]
    assert model.objects.count() == before


@pytest.mark.parametrize("kind", KINDS)
def test_outsiders_cannot_reach_the_pages(kind, base, personas, client_for):
    records.save_record(
        personas.street_clerk,
        records.SPECS[kind],
        {
            "grid": base["house"].grid_id,
            "address": "花园小区9号",
            "name": "花园某处",
            "kind": PlaceKind.objects.get(code="shop").pk if kind == "places" else "",
        }
        | ({"kind": "social"} if kind == "organisations" else {}),
    )
    upload = {"file": SimpleUploadedFile("x.csv", as_csv(kind, [good_row(kind, 5)]))}
    outsider = client_for(personas.outsider)
    assert outsider.get(f"/registry/{kind}/import/").status_code == 403
    assert outsider.post(f"/registry/{kind}/import/", upload).status_code == 403
    assert outsider.get(f"/registry/{kind}/export/").status_code == 403
    leader = client_for(personas.leader)  # may read the registries, not change them
    assert leader.post(f"/registry/{kind}/import/", upload).status_code == 403
    # The 松山 station clerk's export holds only the header: nothing of 花园.
    body = client_for(personas.station_clerk).get(f"/registry/{kind}/export/?format=csv")
    lines = b"".join(body.streaming_content).decode("utf-8-sig").splitlines()
    assert lines == [",".join(headers(kind))]
    grid2 = base["house"].grid_id
    other = client_for(personas.station_clerk).get(f"/registry/{kind}/export/?grid={grid2}")
    assert other.status_code == 404


def test_unknown_registries_and_bad_headers(base, personas, client_for):
    st = client_for(personas.street_clerk)
    assert st.get("/registry/records/import/").status_code == 404
    assert st.get("/registry/key-persons/export/").status_code == 404
    content = "网格编码,门牌,序号\n230903013001001,1号,1\n".encode()
    report = run(personas.street_clerk, "houses", content)
    assert {(e.row, e.column) for e in report.errors} == {(1, "门牌"), (1, "房屋地址")}
    assert not run(personas.street_clerk, "houses", b"").ok
    assert not run(personas.street_clerk, "houses", b"PK\x03\x04 broken", "x.xlsx").ok


def test_household_members_are_checked(base, personas):
    a, b, far = (citizen_id(61), citizen_id(62), citizen_id(63))
    unknown = citizen_id(99)
    rows = [
        good_row("households", 1) | {"成员身份证号": f"{a}，{unknown}"},
        good_row("households", 2) | {"成员身份证号": f"{a} ; {far}"},
    ]
    report = run(personas.street_clerk, "households", as_csv("households", rows))
    reasons = [(e.row, e.reason) for e in report.errors]
    masked = lambda n: n[:3] + "*" * 11 + n[-4:]  # noqa: E731
    assert reasons == [
        (2, f"您管辖范围内没有身份证号为 {masked(unknown)} 的居民。"),
        (3, f"居民 {masked(a)} 也列在第2行。"),
        (3, f"居民 {masked(far)} 住在另一个网格。"),
    ]
    assert unknown not in str(reasons)
    done = run(
        personas.street_clerk,
        "households",
        as_csv("households", [good_row("households", 1) | {"成员身份证号": b}]),
    )
    assert done.created == 1
    again = run(
        personas.street_clerk,
        "households",
        as_csv("households", [good_row("households", 3) | {"成员身份证号": b}]),
    )
    assert [e.reason for e in again.errors] == [f"居民 {masked(b)} 已属于另一户。"]


@pytest.mark.parametrize("kind", KINDS)
def test_export_imports_back_unchanged(kind, base, personas, client_for, world):
    """Round trip: the XLSX export, with an X-extension column, imports back into an empty
    registry as the same rows."""
    ext = RegistryKind.objects.create(code=f"x-{kind}", name="扩展", base=Base[kind[:-1].upper()])
    RegistryField.objects.create(kind=ext, code="floor", label="楼层", type="number")
    RegistryField.objects.create(
        kind=ext, code="colour", label="颜色", type="choice", choices=["红", "蓝"]
    )
    rows = [
        good_row(kind, 1) | {"楼层": "3", "颜色": "红", "终止日期": "2026-01-31"},
        good_row(kind, 2) | {"网格编码": SONGSHAN_1, "成员身份证号": citizen_id(63)},
    ]
    if kind == "households":
        rows[1]["所在房屋"] = ""
    first = run(personas.street_clerk, kind, as_csv(kind, rows))
    assert first.ok, first.errors
    model = MODELS[kind]
    fields = [f.name for f in records.SPECS[kind].fields]

    def state():
        out = []
        for o in model.objects.order_by("grid__code", "id"):
            values = [o.grid.code, o.extra] + [str(getattr(o, f) or "") for f in fields]
            if kind == "households":
                values.append(sorted(o.members.values_list("pk", flat=True)))
            out.append(values)
        return out

    before = state()
    assert {"floor": 3, "colour": "红"} in [r[1] for r in before]
    reads = SensitiveAccess.objects.count()
    response = client_for(personas.street_clerk).get(f"/registry/{kind}/export/")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    sheet = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert list(sheet[0]) == headers(kind) and headers(kind)[-2:] == ["楼层", "颜色"]
    assert len(sheet) == 1 + len(before)
    assert SensitiveAccess.objects.count() > reads  # what was read in clear was logged
    # The same file again: every row is registered already; nothing saved.
    refused = run(personas.street_clerk, kind, content, "x.xlsx")
    assert not refused.ok and {e.row for e in refused.errors} == set(range(2, 2 + len(before)))
    assert state() == before
    model.objects.all().delete()
    report = run(personas.street_clerk, kind, content, "x.xlsx")
    assert report.ok, report.errors
    assert state() == before
    # Masked for a grid worker (no clear personal data); still the same layout.
    gw = client_for(personas.grid_worker).get(f"/registry/{kind}/export/?format=csv")
    text = b"".join(gw.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(headers(kind))
    assert len(text.splitlines()) > 1
    for secret in ("13900004444", "13900005555", "13900006666", citizen_id(61)):
        assert secret not in text


@pytest.mark.parametrize("kind", ["residents", *KINDS])
def test_desk_pages_in_chinese_with_dry_run_preview(
    kind, base, personas, client_for, settings, django_capture_on_commit_callbacks
):
    from tests.test_no_english import english_words

    use_immediate_tasks(settings)

    def upload(data):
        """Post the form; the job runs as the transaction commits; its page."""
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/registry/{kind}/import/", data)
        assert response.status_code == 302
        job = ImportJob.objects.latest("id")
        assert response["Location"] == f"/registry/imports/{job.pk}/"
        assert job.status == ImportJob.Status.DONE and not job.file
        page = client.get(response["Location"])
        assert page.status_code == 200
        html = page.content.decode()
        assert not english_words(html), english_words(html)
        assert 'data-status="done"' in html and "hx-get" not in html
        return html

    client = client_for(personas.street_clerk)
    client.cookies["django_language"] = "zh-hans"
    listing = client.get(f"/registry/{kind}/" if kind != "residents" else "/registry/")
    html = listing.content.decode()
    assert f"/registry/{kind}/import/" in html and f"/registry/{kind}/export/" in html
    page = client.get(f"/registry/{kind}/import/")
    html = page.content.decode()
    assert page.status_code == 200 and not english_words(html), english_words(html)
    assert "网格编码" in html and "下载空白模板" in html
    if kind == "households":
        assert "成员身份证号" in html and "不属于其他户" in html
    template = client.get(f"/registry/{kind}/export/?template=1&format=csv")
    lines = b"".join(template.streaming_content).decode("utf-8-sig").splitlines()
    assert lines == [",".join(headers(kind))]
    if kind == "residents":
        return
    dry_html = upload(
        {"file": SimpleUploadedFile("x.csv", as_csv(kind, [good_row(kind)])), "dry_run": "1"}
    )
    assert "1 行校验通过，尚未保存。" in dry_html and "预览" in dry_html
    assert MODELS[kind].objects.filter(grid__code=HUAYUAN_1).count() == (kind == "houses")
    # The preview masks what is personal: phones and members' ID numbers.
    for secret in ("13900004444", "13900005555", "13900006666", citizen_id(61)):
        assert secret not in dry_html
    if kind == "houses":
        assert "<td>2</td><td>230903013001001</td><td>花园小区2号楼</td>" in dry_html
        assert "139****4444" in dry_html
    bad = SimpleUploadedFile("x.csv", as_csv(kind, [good_row(kind) | {"网格编码": "1"}]))
    shown = upload({"file": bad})
    assert "未保存任何数据" in shown and "<td>2</td><td>网格编码</td>" in shown
    assert MODELS[kind].objects.filter(grid__code=HUAYUAN_1).count() == (kind == "houses")
    done = upload({"file": SimpleUploadedFile("x.csv", as_csv(kind, [good_row(kind)]))})
    assert "已导入 1 条记录。" in done
    # A grid worker (their own grid) has the export too.
    gw = client_for(personas.grid_worker).get(f"/registry/{kind}/").content.decode()
    assert f"/registry/{kind}/export/" in gw


# -- background jobs ----------------------------------------------------------------------------

FAILED = "导入因出错而中止，未保存任何数据。请重新上传该文件；如仍失败，请联系管理员。"


def upload_job(client, kind, content, name="x.csv", dry_run=False):
    """Post a file: the job is queued in the database (the tests' backend), not run yet."""
    data = {"file": SimpleUploadedFile(name, content)} | ({"dry_run": "1"} if dry_run else {})
    response = client.post(f"/registry/{kind}/import/", data)
    assert response.status_code == 302, response.content.decode()
    job = ImportJob.objects.latest("id")
    assert response["Location"] == f"/registry/imports/{job.pk}/"
    return job


def test_the_upload_is_stored_and_queued_then_the_task_imports_it(base, personas, client_for):
    client = client_for(personas.street_clerk)
    before = House.objects.count()
    content = as_csv("houses", [good_row("houses", n) for n in (1, 2, 3)])
    job = upload_job(client, "houses", content)
    assert (job.owner, job.kind, job.dry_run, job.name) == (
        personas.street_clerk,
        "houses",
        False,
        "x.csv",
    )
    assert job.status == ImportJob.Status.QUEUED
    assert re.fullmatch(r"imports/[0-9a-f]{32}\.csv", job.file.name)
    path = Path(job.file.path)
    assert path.read_bytes() == content
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("registry.tasks.import_task")
    assert task.args_kwargs["args"] == [job.pk]
    url = f"/registry/imports/{job.pk}/"
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="queued"' in partial and f'hx-get="{url}"' in partial
    assert "排队等待处理" in partial and "<html" not in partial
    assert House.objects.count() == before
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.finished_at is not None
    assert (job.rows, job.imported, job.report, job.rows_done, job.rows_total) == (3, 3, [], 3, 3)
    assert House.objects.count() == before + 3
    # The file held personal data in clear: gone once read.
    assert not job.file and not path.exists()
    assert AuditEntry.objects.filter(object_id="import", actor=personas.street_clerk).count() == 1
    page = client.get(url).content.decode()
    assert "已导入 3 条记录。" in page and "hx-get" not in page
    # Delivery is at least once: running it again changes nothing.
    jobs.run_job(job.pk)
    assert House.objects.count() == before + 3


def test_a_real_run_with_a_bad_row_reports_it_and_saves_nothing(base, personas, client_for):
    client = client_for(personas.street_clerk)
    before = Place.objects.count()
    rows = [good_row("places", 1), good_row("places", 2) | {"经度": "500"}]
    job = upload_job(client, "places", as_csv("places", rows))
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.imported == 0
    assert [(e["row"], e["column"]) for e in job.report] == [(3, "经度")]
    assert Place.objects.count() == before
    html = client.get(f"/registry/imports/{job.pk}/").content.decode()
    assert "未保存任何数据" in html and "<td>3</td><td>经度</td>" in html


def test_progress_is_written_as_the_rows_are_checked(base, personas, client_for, monkeypatch):
    monkeypatch.setattr(engine, "PROGRESS_EVERY", 2)
    rows = [good_row("houses", n) for n in range(1, 6)]
    content = as_csv("houses", [*rows[:2], {}, *rows[2:]])  # an empty line counts too
    # The engine: every 2 rows, and when all are checked; then the save begins.
    calls: list = []
    report = run(personas.street_clerk, "houses", content, dry_run=True)
    assert report.ok and report.rows == 5
    importing.run_import(
        importing.LAYOUTS["houses"],
        personas.street_clerk,
        "x.csv",
        content,
        dry_run=True,
        progress=lambda done, total: calls.append((done, total)),
        saving=lambda: calls.append("saving"),
    )
    assert calls == [(0, 6), (2, 6), (4, 6), (6, 6)]
    # The job: each call is a plain UPDATE the page polling it shows at once.
    client = client_for(personas.street_clerk)
    job = upload_job(client, "houses", content)
    url = f"/registry/imports/{job.pk}/"
    seen: list = []
    real = jobs.run_import

    def spy(*args, progress, saving, **kwargs):
        def on_progress(done, total):
            progress(done, total)
            now = ImportJob.objects.get(pk=job.pk)
            html = client.get(url, HTTP_HX_REQUEST="true").content.decode()
            assert f"正在校验：{done} / {total} 行" in html and f'hx-get="{url}"' in html
            assert f'<progress max="100" value="{100 * done // total}">' in html
            seen.append((now.status, now.rows_done, now.rows_total))

        def on_saving():
            saving()
            html = client.get(url, HTTP_HX_REQUEST="true").content.decode()
            assert "所有行校验通过，正在保存" in html and f'hx-get="{url}"' in html
            seen.append(("saving", ImportJob.objects.get(pk=job.pk).saving))

        return real(*args, progress=on_progress, saving=on_saving, **kwargs)

    monkeypatch.setattr(jobs, "run_import", spy)
    jobs.run_job(job.pk)
    assert seen == [
        ("running", 0, 6),
        ("running", 2, 6),
        ("running", 4, 6),
        ("running", 6, 6),
        ("saving", True),
    ]
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.imported == 5 and not job.saving


def test_the_job_page_is_the_uploaders_alone(base, personas, client_for):
    owner = client_for(personas.street_clerk)
    job = upload_job(owner, "houses", as_csv("houses", [good_row("houses")]), dry_run=True)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED, error="x")
    urls = [f"/registry/imports/{job.pk}/", f"/registry/imports/{job.pk}/file/"]
    assert owner.get(urls[0]).status_code == 200
    assert owner.get(urls[0], HTTP_HX_REQUEST="true").status_code == 200
    assert owner.get(urls[1]).status_code == 200
    # Others, whatever their role (the grid worker may import too, the admin sees much): 404.
    for who in (personas.grid_worker, personas.leader, personas.outsider, personas.admin):
        client = client_for(who)
        for url in urls:
            assert client.get(url).status_code == 404, (who, url)
            assert client.get(url, HTTP_HX_REQUEST="true").status_code == 404, (who, url)
    for url in urls:
        anonymous = Client().get(url)
        assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert owner.get(f"/registry/imports/{job.pk + 1}/").status_code == 404
    # Only a failed job's upload is handed back.
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
    assert owner.get(urls[1]).status_code == 404


def test_a_failed_job_says_why_and_keeps_the_upload_for_its_owner(
    base, personas, client_for, monkeypatch, settings, django_capture_on_commit_callbacks
):
    client = client_for(personas.street_clerk)
    content = as_csv("houses", [good_row("houses")])
    job = upload_job(client, "houses", content)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(jobs, "run_import", broken)
    with pytest.raises(RuntimeError):
        jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.error == FAILED
    assert job.finished_at is not None
    url = f"/registry/imports/{job.pk}/"
    html = client.get(url).content.decode()
    assert FAILED in html and 'data-status="failed"' in html
    assert "hx-get" not in html and "disk on fire" not in html
    download = client.get(url + "file/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == content
    assert 'filename="x.csv"' in download["Content-Disposition"]
    # The cleanup deletes the upload once IMPORT_UPLOAD_HOURS have passed.
    path = Path(job.file.path)
    assert jobs.purge_uploads() == 0 and path.exists()
    later = timezone.now() + timedelta(hours=settings.IMPORT_UPLOAD_HOURS + 1)
    assert jobs.purge_uploads(later) == 1 and not path.exists()
    assert client.get(url + "file/").status_code == 404
    assert jobs.purge_uploads(later) == 0
    # Through the task library: the task fails, the job says why.
    use_immediate_tasks(settings)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/registry/houses/import/", {"file": SimpleUploadedFile("y.csv", content)})
    assert ImportJob.objects.latest("id").error == FAILED
    # An owner who may no longer import when it runs: told so, not a fault of the worker.
    monkeypatch.undo()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    denied = upload_job(client, "houses", content)
    ImportJob.objects.filter(pk=denied.pk).update(owner=personas.leader)
    jobs.run_job(denied.pk)
    denied.refresh_from_db()
    assert denied.status == ImportJob.Status.FAILED and denied.error == "您无权修改基础数据。"
    assert not House.objects.filter(address="花园小区2号楼").exists()


BAD_FILES = [
    ("x.pdf", b"%PDF-1.4", "请选择 CSV 或 XLSX 文件。"),
    ("x.csv", "网格编码,房屋地址\n".encode("utf-16"), "无法按 CSV 或 XLSX 格式读取该文件。"),
    ("x.xlsx", b"PK\x03\x04 broken", "无法按 CSV 或 XLSX 格式读取该文件。"),
    ("x.csv", b"", "文件为空。"),
    ("x.csv", "网格编码,门牌\n230903013001001,1号\n".encode(), "缺少此列。"),
]


@pytest.mark.parametrize(("name", "content", "reason"), BAD_FILES)
def test_bad_files_are_refused_before_anything_is_stored(
    name, content, reason, base, personas, client_for, settings
):
    client = client_for(personas.street_clerk)
    response = client.post("/registry/houses/import/", {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    html = response.content.decode()
    assert reason in html and "未保存任何数据" in html
    assert not ImportJob.objects.exists() and not DBTaskResult.objects.exists()
    imports = Path(settings.MEDIA_ROOT) / "imports"
    assert not imports.exists() or not any(imports.iterdir())


def test_layout_is_abstract():
    with pytest.raises(TypeError):
        importing.Layout()  # type: ignore[abstract]

    class Partial(importing.Layout):
        def columns(self):
            return []

    with pytest.raises(TypeError, match="save"):
        Partial()  # type: ignore[abstract]
