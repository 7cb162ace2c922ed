"""The dossier merges the evidence: images become pages scaled to fit, PDF evidence is appended
page by page, each at its place in the legal order with page numbers in the contents; a forged,
tampered or missing file is reported (contents and a page in its place), never a crash."""

import io
import os
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfgen import canvas

from fengqiao.cases import actions as case_actions
from fengqiao.mediation import actions, documents
from tests.case_factories import use_immediate_tasks
from tests.mediation_factories import make_mediation_world, started


def png(width: int, height: int, color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def two_page_pdf() -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.drawString(72, 720, "EVIDENCE-PDF-7731 page one")
    c.showPage()
    c.drawString(72, 720, "EVIDENCE-PDF-7731 PAGE-TWO")
    c.showPage()
    c.save()
    return out.getvalue()


def upload(actor, case, name: str, content: bytes):
    return case_actions.add_attachment(actor, case, SimpleUploadedFile(name, content))


def texts(pdf: bytes) -> list[str]:
    return [
        (p.extract_text() or "").replace(" ", "").replace("\n", "")
        for p in PdfReader(io.BytesIO(pdf)).pages
    ]


def _start(pdf: bytes) -> int:
    """The index of the first page after the cover and the contents."""
    # The contents may run over several pages (only the first has its title): the body starts
    # with the application or the acceptance register.
    firsts = ("人民调解申请书", "人民调解受理登记表")
    return next(i for i, p in enumerate(texts(pdf)) if i and any(t in p for t in firsts))


@pytest.fixture
def with_files(db, world, personas, settings, tmp_path):
    use_immediate_tasks(settings)
    settings.MEDIA_ROOT = str(tmp_path)
    mw = make_mediation_world(world, personas.admin, personas.street_clerk)
    m = started(world, mw, notify=False)
    applicant, builder = list(m.case.parties.order_by("id"))
    for p in (applicant, builder):
        actions.deliver_notice(mw.lead, m, party=p, method="in_person")
    actions.record_investigation(mw.lead, m, place="工地", findings="夜间施工噪音超标")
    clerk = mw.cw.huayuan_clerk
    photo = upload(clerk, m.case, "现场照片.png", png(1600, 900, "red"))
    evidence_pdf = upload(clerk, m.case, "噪声检测报告.pdf", two_page_pdf())
    # Passes the upload check (PNG signature) but is no image.
    forged = upload(clerk, m.case, "伪造.png", b"\x89PNG\r\n\x1a\n" + b"not an image" * 50)
    tampered = upload(clerk, m.case, "被替换.jpg", b"\xff\xd8\xff" * 40)
    gone = upload(clerk, m.case, "已丢失.png", png(20, 20, "green"))
    with open(tampered.file.path, "wb") as fh:  # replaced on disk after upload
        fh.write(b"MZ\x90\x00 this is not a JPEG")
    os.remove(gone.file.path)
    actions.record_session(mw.lead, m, place="调解室", participants="双方", minutes="第一次调解",
                            evidence=[photo, evidence_pdf, forged])  # fmt: skip
    actions.record_session(mw.lead, m, place="调解室", participants="双方", minutes="达成一致")
    a = actions.record_agreement(
        mw.lead, m, form="oral", agreed_items="修复道路",
        items=[{"obligor": builder, "what": "修复道路",
                "due_date": timezone.localdate() + timedelta(days=7)}],
    )  # fmt: skip
    proof = upload(clerk, m.case, "修复后.png", png(300, 1200, "gray"))
    actions.mark_performance(mw.lead, a.items.get(), proof_attachment=proof, proof_note="已修复")
    m.refresh_from_db()
    return mw, m, {"photo": photo, "pdf": evidence_pdf, "forged": forged,
                         "tampered": tampered, "gone": gone, "proof": proof}  # fmt: skip


def test_dossier_merges_images_and_pdf_evidence_in_legal_order(with_files, monkeypatch):
    _mw, m, files = with_files
    d = documents.build_dossier(m)
    with monkeypatch.context() as patch:
        patch.setattr(documents, "evidence_files", lambda m: ([], []))
        without = documents.build_dossier(m)
    # Exactly one page per image, both PDF pages, one report page per bad file (the contents
    # may grow by the file list).
    assert d.pages - without.pages - (_start(d.pdf) - _start(without.pdf)) == 1 + 2 + 3 + 1
    reader = PdfReader(io.BytesIO(d.pdf))
    pages = texts(d.pdf)
    assert d.pages == len(reader.pages)
    parts = {f.attachment.pk: f for f in d.files}
    # Evidence: session files in order, then the case's other files; the proof under 履行凭证.
    assert [f.attachment.original_name for f in d.files] == [
        "现场照片.png", "噪声检测报告.pdf", "伪造.png", "被替换.jpg", "已丢失.png", "修复后.png",
    ]  # fmt: skip
    assert [f.item for f in d.files] == ["证据材料"] * 5 + ["履行凭证"]
    photo, pdf, proof = (parts[files[k].pk] for k in ("photo", "pdf", "proof"))
    assert pdf.first_page == photo.first_page + 1
    assert "EVIDENCE-PDF-7731pageone" in pages[pdf.first_page - 1]
    assert "EVIDENCE-PDF-7731PAGE-TWO" in pages[pdf.first_page]
    # The image pages carry the image, scaled to fit A4, under the file's name.
    for part in (photo, proof):
        page = reader.pages[part.first_page - 1]
        images = page.images
        assert len(images) == 1
        assert part.attachment.original_name in pages[part.first_page - 1]
        box = page.mediabox
        assert float(box.width) < 600 and float(box.height) < 850  # A4 in points
    assert Image.open(io.BytesIO(reader.pages[photo.first_page - 1].images[0].data)).size == (
        1600,
        900,
    )
    # Legal order: investigation < evidence < mediation record < agreement < proof < back cover.
    first = {t: next(i for i, p in enumerate(pages) if i > 1 and t in p) for t in
             ("人民调解调查记录", "人民调解记录", "人民调解协议书", "卷宗封底")}  # fmt: skip
    assert first["人民调解调查记录"] < photo.first_page - 1 < first["人民调解记录"]
    assert first["人民调解协议书"] < proof.first_page - 1 < first["卷宗封底"]
    # The contents give each file its page and the back cover the page count.
    contents = pages[1]
    assert f"现场照片.png{photo.first_page}已并入" in contents
    assert f"噪声检测报告.pdf{pdf.first_page}已并入" in contents
    assert f"本卷共{d.pages}页" in pages[-1]


def test_forged_tampered_and_missing_files_are_reported_not_fatal(with_files, client_for):
    mw, m, _files = with_files
    d = documents.build_dossier(m)
    problems = {f.attachment.original_name: f.problem for f in d.problems}
    assert set(problems) == {"伪造.png", "被替换.jpg", "已丢失.png"}
    assert problems["伪造.png"].startswith("文件已损坏")
    assert problems["被替换.jpg"] == "文件内容与登记的类型不符"
    assert problems["已丢失.png"].startswith("文件无法读取")
    pages = texts(d.pdf)
    contents = "".join(pages[1 : _start(d.pdf)])  # the contents may run over pages
    assert "未能并入的文件：伪造.png（文件已损坏" in contents
    assert "被替换.jpg（文件内容与登记的类型不符）" in contents
    # Each bad file has a page at its place saying so.
    for f in d.problems:
        assert "未能并入的文件" in pages[f.first_page - 1]
        assert f.attachment.original_name in pages[f.first_page - 1]
    # The download is the merged dossier.
    r = client_for(mw.lead).get(f"/mediation/{m.pk}/dossier.pdf")
    assert r.status_code == 200
    assert len(PdfReader(io.BytesIO(r.content)).pages) == d.pages
    assert re.search(r"本卷共\d+页", texts(r.content)[-1])


def test_dossier_without_files_says_none_could_not_be_included(world, personas, settings):
    mw = make_mediation_world(world, personas.admin, personas.street_clerk)
    m = started(world, mw, notify=False)
    d = documents.build_dossier(m)
    assert d.files == [] and d.missing == ["权利义务告知书", "调解记录", "调解协议书"]
    assert "未能并入的文件：无" in texts(d.pdf)[1]
