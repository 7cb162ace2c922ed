"""Rare characters in every PDF: names from CJK Extensions B–F (王𠮷, 𠀀, …) come back from the
PDF's text layer and are drawn with a real glyph of an embedded font (the chain built by
`make setup`: Noto Serif SC, then HanaMinA and HanaMinB); Extension G, which no default font
has, still reaches the text layer, and is drawn once a font with it is added to the chain."""

import io
from datetime import date

import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from fengqiao.accountability import documents as letters
from fengqiao.emergency import documents as daily
from fengqiao.emergency import situation
from fengqiao.mediation import documents, fonts
from fengqiao.mediation.checks import pdf_font_check
from tests.accountability_factories import make_group
from tests.emergency_factories import make_setup
from tests.mediation_factories import full_mediation

pytestmark = pytest.mark.django_db

# One name per block (Extension B twice: 王𠮷 is the case the issue names, 𠀀 the block's first).
EXT_B = "王\U00020bb7"  # 王𠮷
EXT_B_FIRST = "\U00020000"  # 𠀀
EXT_C = "李\U0002a700"  # 李𪜀
EXT_D = "张\U0002b740"  # 张𫝀
EXT_E = "刘\U0002b820"  # 刘𫠠
EXT_F = "陈\U0002ceb0"  # 陈𬺰
EXT_G = "赵\U00030000"  # 赵𰀀: GB 18030-2022 does not require it; no default font has it
RARE = (EXT_B, EXT_B_FIRST, EXT_C, EXT_D, EXT_E, EXT_F)
# Both parties' names carry every rare block.
APPLICANT = "".join(RARE[:3])
RESPONDENT = "".join(RARE[3:]) + EXT_G


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "".join(p.extract_text() for p in reader.pages).replace(" ", "").replace("\n", "")


def _to_unicode(data: bytes) -> dict[int, str]:
    """code -> characters of a ToUnicode CMap's bfchar entries (UTF-16BE, surrogate pairs)."""
    codes: dict[int, str] = {}
    inside = False
    for line in data.decode("latin-1").splitlines():
        if line.endswith("beginbfchar"):
            inside = True
        elif line.endswith("endbfchar"):
            inside = False
        elif inside and line.startswith("<"):
            code, chars = line.replace("<", "").split(">")[:2]
            codes[int(code, 16)] = bytes.fromhex(chars.strip()).decode("utf-16-be")
    return codes


def _drawn(pdf: bytes) -> dict[str, bool]:
    """Every character of the PDF's fonts: True when its embedded font draws it with a glyph
    of its own (neither .notdef nor empty), False when only the text layer has it."""
    drawn: dict[str, bool] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            if "/FontDescriptor" not in font or "/ToUnicode" not in font:
                continue
            program = font["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data()
            tt = TTFont(io.BytesIO(program))
            cmap = {}  # reportlab's subsets map codes 0-255 ((1,0) and (3,0) at 0xF000+code)
            for table in tt["cmap"].tables:
                cmap.update({k & 0xFF: v for k, v in table.cmap.items()})
            glyf = tt["glyf"]
            for code, chars in _to_unicode(font["/ToUnicode"].get_object().get_data()).items():
                name = cmap.get(code, ".notdef")
                glyph = glyf[name]
                real = tt.getGlyphID(name) != 0 and glyph.numberOfContours != 0
                drawn[chars] = drawn.get(chars, False) or real
    return drawn


def _assert_rare_names(pdf: bytes, names=RARE, what: str = "") -> None:
    text, drawn = _text(pdf), _drawn(pdf)
    for name in names:
        assert name in text, (what, name)
        for ch in name:
            assert drawn.get(ch), (what, name, f"U+{ord(ch):04X}")


def test_default_chain_covers_gb18030_blocks_from_make_setup():
    assert fonts.chain_problems() == [] and fonts.missing_blocks() == []
    chain = fonts.registered_chain()
    assert [p.rsplit("/", 1)[-1] for p in chain.paths] == [
        "NotoSerifSC-Regular.ttf", "HanaMinA.ttf", "HanaMinB.ttf"]  # fmt: skip
    # Common characters from the Chinese face, the rare ones from HanaMinB.
    assert {chain.font_index(ord(c)) for c in "王秀英调解协议书"} == {0}
    assert {chain.font_index(ord(n[-1])) for n in RARE} == {2}
    assert pdf_font_check() == []


def test_every_mediation_document_draws_rare_names(world, personas, settings):
    m = full_mediation(world, personas, settings)
    applicant, respondent = list(m.case.parties.order_by("id"))
    applicant.name, respondent.name = APPLICANT, RESPONDENT
    applicant.save(update_fields=["name"])
    respondent.save(update_fields=["name"])
    carrying = []
    for key in sorted(documents.BUILDERS):
        if APPLICANT not in repr(documents.build(m, key).blocks):
            continue
        carrying.append(key)
        pdf, _ctype, _name = documents.document_bytes(m, key, "pdf")
        _assert_rare_names(pdf, what=key)
        # The text layer writes the characters beyond the BMP as UTF-16 surrogate pairs.
        assert EXT_G in _text(pdf) or RESPONDENT not in repr(documents.build(m, key).blocks)
    assert {"application", "agreement", "cover", "rights_notice", "termination"} <= set(carrying)
    dossier = documents.dossier_pdf(m)
    _assert_rare_names(dossier, what="dossier")
    # Extension G: no font of the default chain has it: an empty box, but the text is kept.
    assert EXT_G in _text(dossier) and _drawn(dossier)[EXT_G[-1]] is False


def test_accountability_letter_draws_rare_names(world, personas):
    from fengqiao.accountability import actions

    g = make_group(world, personas)
    letter = actions.create_letter(g.office, g.police, number="桃平安〔2026〕9号")
    actions.add_task(g.office, letter, title=f"{EXT_B}专项整治", target_kind="yes_no",
                     measures="、".join(RARE), weight="10", deadline=date(2026, 11, 30))  # fmt: skip
    actions.sign(personas.leader, letter, side="group", signatory=EXT_B_FIRST + EXT_C)
    letter = actions.sign(personas.liaison, letter, side="unit", signatory=EXT_D + EXT_F)
    _assert_rare_names(letters.render_pdf(letter), what="letter")


def test_emergency_daily_report_draws_rare_names(world, personas):
    s = make_setup(world, personas)
    s.event.name = "".join(RARE)
    s.event.save(update_fields=["name"])
    report = situation.build(s.commander, s.event)
    _assert_rare_names(daily.pdf_bytes(report), what="daily report")


def _font_with(path, chars: str) -> str:
    """A small TrueType font with a square glyph for each of `chars` (for the chain's tests)."""
    names = [".notdef"] + [f"u{ord(c):X}" for c in chars]
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({ord(c): f"u{ord(c):X}" for c in chars})
    glyphs = {}
    for n in names:
        pen = TTGlyphPen(None)
        if n != ".notdef":
            pen.moveTo((100, 0))
            pen.lineTo((100, 800))
            pen.lineTo((900, 800))
            pen.lineTo((900, 0))
            pen.closePath()
        glyphs[n] = pen.glyph()
    fb.setupGlyf(glyphs)
    fb.setupHorizontalMetrics({n: (1000, 100) for n in names})
    fb.setupHorizontalHeader(ascent=880, descent=-120)
    fb.setupNameTable({"familyName": "Fengqiao Test", "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=880, sTypoDescender=-120, usWinAscent=880, usWinDescent=120)
    fb.setupPost()
    fb.save(str(path))
    return str(path)


def test_a_font_added_to_the_chain_draws_extension_g(settings, tmp_path):
    from fengqiao.mediation.rendering import Doc, render_pdf

    doc = Doc("ext-g", "人民调解申请书", "桃调〔2026〕1号")
    doc.p(f"申请人：{EXT_G}、{EXT_B}")
    before = render_pdf([doc])
    assert EXT_G in _text(before) and _drawn(before)[EXT_G[-1]] is False
    settings.PDF_CJK_FALLBACK_FONTS = [
        *settings.PDF_CJK_FALLBACK_FONTS, _font_with(tmp_path / "extg.ttf", EXT_G[-1])]  # fmt: skip
    after = render_pdf([doc])
    _assert_rare_names(after, names=(EXT_G, EXT_B))
    assert fonts.registered_chain().font_index(ord(EXT_G[-1])) == 3


def test_start_up_check_names_missing_fonts_and_blocks(settings, tmp_path):
    fallbacks = settings.PDF_CJK_FALLBACK_FONTS
    settings.PDF_CJK_FALLBACK_FONTS = [fallbacks[0], "/nonexistent/HanaMinB.ttf"]
    [warning] = pdf_font_check()
    assert warning.id == "mediation.W001"
    assert "PDF_CJK_FALLBACK_FONTS" in warning.msg and "/nonexistent/HanaMinB.ttf" in warning.msg
    assert "make setup" in warning.hint
    woff = tmp_path / "slice.woff2"
    woff.write_bytes(b"wOF2" + b"\0" * 60)
    settings.PDF_CJK_FALLBACK_FONTS = [str(woff)]
    [warning] = pdf_font_check()
    assert "web font" in warning.msg
    # A chain without the rare blocks: usable, with a warning naming each block it lacks.
    settings.PDF_CJK_FALLBACK_FONTS = [_font_with(tmp_path / "a.ttf", "\u3400\U0002a700")]
    settings.PDF_CJK_FONT = _font_with(tmp_path / "b.ttf", "王")
    [warning] = pdf_font_check()
    assert warning.id == "mediation.W002"
    for block in ("Extension B", "Extension D", "Extension E", "Extension F"):
        assert block in warning.msg
    assert "Extension A" not in warning.msg and "Extension C" not in warning.msg


@pytest.mark.parametrize("broken", ["missing", "damaged"])
def test_downloads_answer_503_never_500_without_a_usable_fallback(
    world, personas, settings, client_for, tmp_path, broken
):
    m = full_mediation(world, personas, settings)
    path = tmp_path / "HanaMinB.ttf"
    if broken == "damaged":
        path.write_bytes(b"\x00\x01\x00\x00" + b"\xff" * 200)  # TrueType magic, garbage after
    settings.PDF_CJK_FALLBACK_FONTS = [str(path)]
    with pytest.raises(fonts.FontUnavailable):
        fonts.register_font()
    lead = m.lead_mediator.user
    page = client_for(lead).get(f"/mediation/{m.pk}/documents/agreement.pdf")
    assert page.status_code == 503 and "字体" in page.content.decode()
    assert client_for(lead).get(f"/mediation/{m.pk}/dossier.pdf").status_code == 503
    api = client_for(lead).get(f"/api/v1/mediation/{m.pk}/dossier.pdf")
    assert api.status_code == 503 and api.json()["errors"][0]["code"] == "font_unavailable"


def test_accountability_letter_download_without_fonts_is_503(world, personas, settings,
                                                            client_for):  # fmt: skip
    from fengqiao.accountability import actions

    g = make_group(world, personas)
    letter = actions.create_letter(g.office, g.police, number="桃平安〔2026〕8号")
    settings.PDF_CJK_FONT = "/nonexistent/font.ttf"
    office = client_for(g.office)
    page = office.get(f"/accountability/letters/{letter.pk}/letter.pdf")
    assert page.status_code == 503 and "无法生成 PDF" in page.content.decode()
    assert office.get(f"/accountability/letters/{letter.pk}/letter.docx").status_code == 200


def test_chain_font_measures_each_segment_with_its_font():
    from reportlab.pdfbase import pdfmetrics

    chain = fonts.registered_chain()
    text = f"申请人{EXT_B}"
    parts = chain.segments(text)
    assert [i for i, _seg in parts] == [0, 2] and "".join(s for _i, s in parts) == text
    width = pdfmetrics.stringWidth(text, fonts.FONT_NAME, 12)
    expected = sum(chain.fonts[i].stringWidth(seg, 12) for i, seg in parts)
    assert width == pytest.approx(expected) and width > 0
