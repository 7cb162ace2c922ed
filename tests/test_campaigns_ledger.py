"""A screening record points to a registry household of its grid; the roll-up names the
households not screened yet; the campaign's ledger exports in the uniform layout (XLSX)."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from fengqiao.campaigns import screening
from fengqiao.campaigns.models import ScreeningRecord
from fengqiao.cases.errors import InvalidInput
from fengqiao.registry import records
from tests.case_factories import make_case_world

G1 = "230903013001001"  # the grid worker's
G2 = "230903013002001"  # 松山, another community


@pytest.fixture
def setup(world, personas):
    cw = make_case_world(world)
    center = cw.district_clerk
    c = screening.create_campaign(
        center,
        {
            "name": "矛盾纠纷大排查",
            "kind": "disputes",
            "region": world.district.code,
            "starts_on": timezone.localdate().isoformat(),
            "ends_on": (timezone.localdate() + timedelta(days=14)).isoformat(),
            "form_fields": [{"name": "tension", "label": "邻里矛盾", "type": "bool"}],
        },
    )
    screening.assign_grids(center, c, {G1: 2, G2: 1})
    c = screening.move_campaign(center, c, "activate")
    spec = records.SPECS["households"]
    clerk = personas.street_clerk
    hh = [
        records.save_record(clerk, spec, {"grid": world.grids[G1].pk, "address": a, "number": n})
        for a, n in (("花园1栋101", "H1"), ("花园1栋102", "H2"), ("花园1栋103", "H3"))
    ]
    far = records.save_record(clerk, spec, {"grid": world.grids[G2].pk, "address": "松山2栋"})
    return cw, c, hh, far


def test_records_point_to_households_and_rollup_names_who_is_left(setup, personas, client_for):
    cw, c, hh, far = setup
    gw = personas.grid_worker
    r = screening.record_screening(
        gw, c, {"grid": G1, "address": "", "household": hh[0].pk, "answers": {"tension": False}}
    )
    assert r.household_id == hh[0].pk and r.address == "花园1栋101"
    # The same household twice, a household of another grid, a made-up id: clear errors.
    for bad in (hh[0].pk, far.pk, 999999):
        with pytest.raises(InvalidInput):
            screening.record_screening(gw, c, {"grid": G1, "address": "x", "household": bad})
    assert ScreeningRecord.objects.count() == 1
    roll = {row.key: row for row in screening.rollup(cw.district_clerk, c)["grid"]}
    assert roll[G1].not_screened == 2 and roll[G2].not_screened == 1
    left = screening.not_screened(cw.district_clerk, c)
    assert {h.address for h in left} == {"花园1栋102", "花园1栋103", "松山2栋"}
    # The grid worker sees only their grid's.
    assert {h.address for h in screening.not_screened(gw, c)} == {"花园1栋102", "花园1栋103"}
    unfinished = {u["grid"]: u for u in screening.unfinished(cw.district_clerk, c)}
    assert unfinished[G1]["not_screened"] == 2
    page = client_for(cw.district_clerk).get(f"/campaigns/{c.pk}/").content.decode()
    assert f"/campaigns/{c.pk}/not-screened/?grid={G1}" in page
    listing = client_for(cw.district_clerk).get(f"/campaigns/{c.pk}/not-screened/?grid={G1}")
    assert "花园1栋102" in listing.content.decode() and "松山2栋" not in listing.content.decode()
    # The phone page offers the households still to screen and records one.
    phone = client_for(gw)
    assert "花园1栋103" in phone.get(f"/campaigns/{c.pk}/screen/").content.decode()
    phone.post(
        f"/campaigns/{c.pk}/screen/", {"grid": G1, "household": hh[2].pk, "f_tension": "yes"}
    )
    assert ScreeningRecord.objects.filter(household=hh[2]).exists()


def test_ledger_in_the_uniform_layout_scoped(setup, personas, client_for):
    cw, c, hh, _far = setup
    gw = personas.grid_worker
    screening.record_screening(
        gw, c, {"grid": G1, "address": "", "household": hh[1].pk, "answers": {"tension": True},
                "finding": "两户因漏水争执"},
    )  # fmt: skip
    r = client_for(cw.district_clerk).get(f"/campaigns/{c.pk}/ledger/")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    rows = list(
        load_workbook(io.BytesIO(b"".join(r.streaming_content))).active.iter_rows(values_only=True)
    )
    assert "矛盾纠纷大排查" in rows[0][0]
    assert "(1 / 3)" in rows[1][0]  # completion with its numerator and denominator
    header = list(rows[3])
    assert header[0] == "序号" or header[0] == "No."
    assert "邻里矛盾" in header
    data = rows[4]
    assert data[0] == 1 and "花园1栋102" in data and "H2" in data and "两户因漏水争执" in data
    assert len(rows) == 5
    # Outsiders get nothing.
    out = client_for(personas.outsider)
    for url in (f"/campaigns/{c.pk}/ledger/", f"/campaigns/{c.pk}/not-screened/"):
        assert out.get(url).status_code == 404, url
