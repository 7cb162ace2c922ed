"""The standard documents of a mediation, as DOCX (for editing and printing) and PDF (with an
embedded CJK TrueType font), and the dossier (卷宗) with every item in the legal order: one PDF
in which the evidence and proof files (images as pages scaled to fit, PDFs appended as they
are) sit at their place, with the contents (page numbers), the required items that are missing
and the files that could not be included (unreadable, or not what their type claims).

Each document is first built as a neutral `Doc` (title, number, blocks of headings, paragraphs
and two-column or full tables); the DOCX and PDF renderers draw the same structure, so both
always say the same thing.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone

from fengqiao.cases.attachments import detect
from fengqiao.cases.models import Attachment, Party
from fengqiao.core.masking import log_sensitive_read

from .fonts import register_font
from .models import Agreement, Mediation, RightsNotice, StartMode
from .rendering import Doc, Table, render_docx, render_pdf

__all__ = ["Doc", "Table", "render_docx", "render_pdf"]  # re-exported: callers use documents.*

CN_DIGITS = "〇一二三四五六七八九"


def cn_number(n: int) -> str:
    """1–31 as written in a date: 四, 十, 十二, 二十, 三十一."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CN_DIGITS[tens] + "十")
    return head + (CN_DIGITS[ones] if ones or not tens else "")


def cn_date(value: datetime | date | None) -> str:
    """A date in the Chinese form of the formats' signature lines: 二〇二六年十二月四日."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    year = "".join(CN_DIGITS[int(c)] for c in str(value.year))
    return f"{year}年{cn_number(value.month)}月{cn_number(value.day)}日"


def _d(value: datetime | date | None, with_time: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
        if with_time:
            return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
        value = value.date()
    return f"{value.year}年{value.month}月{value.day}日"


SEX = {"male": "男", "female": "女", "": ""}
MODES = {
    StartMode.APPLICATION: "当事人申请",
    StartMode.INITIATIVE: "调委会主动调解",
    StartMode.REFERRAL: "移交",
}
SOURCES = {"police": "公安机关移交（警调对接）", "court": "人民法院委托（诉调对接）",
           "department": "政府部门移交（访调对接）", "": ""}  # fmt: skip
ROLES = {"applicant": "申请人", "respondent": "被申请人", "other": "其他当事人"}
SIGN = {"signed": "签名", "sealed": "盖章", "thumbprint": "按指印"}
NOTICE_METHOD = {m.value: str(m.label) for m in RightsNotice.Method}
NOTICE_METHOD |= {"in_person": "当面送达", "read_out": "当场宣读", "post": "邮寄送达",
                  "electronic": "电子送达"}  # fmt: skip
RESULT = {"registered": "已登记", "accepted": "已受理", "in_session": "调解中", "agreed": "调解成功",
          "failed": "调解不成", "refused": "当事人拒绝调解", "withdrawn": "撤回"}  # fmt: skip

RIGHTS = (
    "一、当事人享有下列权利：（一）选择或者接受人民调解员；（二）接受调解、拒绝调解或者要求终止调解；"
    "（三）要求调解公开进行或者不公开进行；（四）自主表达意愿、自愿达成调解协议。",
    "二、当事人应当履行下列义务：（一）如实陈述纠纷事实；（二）遵守调解现场秩序，尊重人民调解员；"
    "（三）尊重对方当事人行使权利。",
    "三、依法达成的调解协议具有法律约束力，当事人应当按照约定履行。经调解达成协议后，双方当事人"
    "认为有必要的，可以自调解协议生效之日起三十日内共同向人民法院申请司法确认。",
)


def _party_rows(parties: list[Party]) -> list[list[str]]:
    rows = [["身份", "姓名/名称", "性别", "证件号码", "联系电话", "住址"]]
    for p in parties:
        rows.append([ROLES.get(p.role, p.role), p.name, SEX.get(p.sex, ""), p.id_number,
                     p.phone, p.address])  # fmt: skip
    return rows


def _parties(m: Mediation) -> list[Party]:
    return list(m.case.parties.order_by("id"))


def _mediators(m: Mediation) -> str:
    names = [x.name for x in m.mediators.select_related("user").order_by("id")]
    return "、".join(names)


# -- the documents -------------------------------------------------------------------------


def application(m: Mediation) -> Doc:
    doc = Doc("application", "人民调解申请书", m.number)
    doc.table(_party_rows(_parties(m)), header=True)
    doc.table([
        ["纠纷类型", m.case.category.name],
        ["纠纷简要情况", m.summary],
        ["申请事项", m.application_text or "（调委会主动调解，无书面申请）"],
        ["申请日期", _d(m.registered_at)],
    ], widths=[0.22, 0.78])  # fmt: skip
    doc.p("申请人（签名、盖章或按指印）：＿＿＿＿＿＿")
    doc.p(cn_date(m.registered_at))
    return doc


def acceptance_register(m: Mediation) -> Doc:
    doc = Doc("acceptance_register", "人民调解受理登记表", m.number)
    source = MODES.get(m.start_mode, "")
    if m.referral_source:
        source += "：" + SOURCES[m.referral_source]
    doc.table([
        ["编号", m.number],
        ["受理日期", _d(m.accepted_at or m.registered_at)],
        ["纠纷类型", m.case.category.name],
        ["纠纷来源", source],
        ["当事人", "、".join(f"{ROLES.get(p.role, '')}{p.name}" for p in _parties(m))],
        ["纠纷简要情况", m.summary],
        ["调解委员会", m.committee.name],
        ["调解员", _mediators(m)],
        ["调解期限", _d(m.due)],
        ["登记人", (m.registered_by.get_full_name() if m.registered_by else "")],
    ], widths=[0.22, 0.78])  # fmt: skip
    return doc


def rights_notice(m: Mediation) -> Doc:
    doc = Doc("rights_notice", "人民调解权利义务告知书", m.number)
    doc.p(
        "根据《中华人民共和国人民调解法》的规定，现将当事人在人民调解活动中的权利和义务告知如下："
    )
    for text in RIGHTS:
        doc.p(text)
    rows = [["当事人", "送达时间", "送达方式", "当事人签收"]]
    for n in m.notices.select_related("party").order_by("delivered_at", "id"):
        rows.append([n.party.name, _d(n.delivered_at, True), NOTICE_METHOD.get(n.method, ""), ""])
    doc.table(rows, header=True)
    return doc


def investigation(m: Mediation) -> Doc:
    doc = Doc("investigation", "人民调解调查记录", m.number)
    for i, inv in enumerate(m.investigations.select_related("investigator"), start=1):
        doc.h(f"第{i}次调查")
        doc.table([
            ["时间", _d(inv.at, True)],
            ["地点", inv.place],
            ["调查人", inv.investigator.get_full_name()],
            ["被调查人", inv.persons],
            ["调查情况", inv.findings],
        ], widths=[0.22, 0.78])  # fmt: skip
    return doc


def mediation_record(m: Mediation) -> Doc:
    doc = Doc("mediation_record", "人民调解记录", m.number)
    held = m.sessions.exclude(minutes="").prefetch_related("evidence")
    for i, s in enumerate(held, start=1):
        evidence = [e.original_name for e in s.evidence.all()]
        doc.h(f"第{i}次调解")
        doc.table([
            ["时间", _d(s.at, True)],
            ["地点", s.place],
            ["参加人", s.participants],
            ["调解员", _mediators(m)],
            ["调解记录", s.minutes],
            ["证据材料", "；".join([*evidence, s.evidence_note] if s.evidence_note else evidence)],
        ], widths=[0.22, 0.78])  # fmt: skip
    return doc


def agreement(m: Mediation) -> Doc:
    doc = Doc("agreement", "人民调解协议书", m.number)
    a: Agreement | None = getattr(m, "agreement", None)
    if a is None:
        doc.p("（尚未达成调解协议）")
        return doc
    doc.table(_party_rows(_parties(m)), header=True)
    if a.form == Agreement.Form.ORAL:
        doc.p("口头调解协议（《人民调解法》第三十条），记录如下：")
        doc.table([["协议内容", a.agreed_items], ["记录时间", _d(a.recorded_at, True)],
                   ["调解员", _mediators(m)]], widths=[0.22, 0.78])  # fmt: skip
        return doc
    doc.table([
        ["当事人基本情况", a.parties_facts],
        ["纠纷主要事实", a.main_facts],
        ["争议事项", a.disputed_points],
        ["各方责任", a.responsibilities],
        ["协议内容", a.agreed_items],
        ["履行方式、时限", a.performance_method],
    ], widths=[0.22, 0.78])  # fmt: skip
    items = [["履行义务人", "履行事项", "履行期限"]]
    items += [[i.obligor.name, i.what, _d(i.due_date)] for i in a.items.select_related("obligor")]
    if len(items) > 1:
        doc.table(items, header=True)
    doc.p(f"本协议一式{a.copies}份，双方当事人各执一份，人民调解委员会留存一份。"
          "本协议自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效。")  # fmt: skip
    signs = [["签署人", "方式", "时间"]]
    signed = {s.party_id: s for s in a.signatures.all()}
    for p in _parties(m):
        s = signed.get(p.pk)
        signs.append([p.name, SIGN.get(s.method, "") if s else "", _d(s.at, True) if s else ""])
    signs.append([f"人民调解员 {a.mediator.name if a.mediator else ''}", "签名" if
                  a.mediator_signed_at else "", _d(a.mediator_signed_at, True)])  # fmt: skip
    signs.append([m.committee.name, "盖章" if a.seal_at else "", _d(a.seal_at, True)])
    doc.table(signs, header=True)
    for p in _parties(m):
        doc.p(f"当事人（签名、盖章或按指印）：{p.name}　＿＿＿＿＿＿")
    doc.p(f"人民调解员（签名）：{a.mediator.name if a.mediator else ''}　＿＿＿＿＿＿")
    doc.p(f"{m.committee.name}（印章）")
    doc.p(cn_date(a.effective_at or a.created_at))
    if a.effective_at:
        doc.p(
            f"生效时间：{_d(a.effective_at, True)}；司法确认申请期限：{_d(a.confirmation_due)}前。"
        )
    return doc


def oral_register(m: Mediation) -> Doc:
    """口头协议登记表 (art. 28, 30): the content of an oral agreement as the mediator recorded it."""
    doc = Doc("oral_register", "人民调解口头协议登记表", m.number)
    a: Agreement | None = getattr(m, "agreement", None)
    if a is None or a.form != Agreement.Form.ORAL:
        # The blank form, for a committee that records by hand.
        doc.p("（本纠纷未达成口头调解协议）")
        a = None
    doc.table([
        ["编号", m.number],
        ["当事人", "、".join(f"{ROLES.get(p.role, '')}{p.name}" for p in _parties(m))],
        ["纠纷主要事实", (a.main_facts or m.summary) if a else ""],
        ["协议内容", a.agreed_items if a else ""],
        ["履行方式、时限", a.performance_method if a else ""],
        ["调解员", _mediators(m)],
        ["登记时间", _d(a.recorded_at, True) if a else ""],
    ], widths=[0.22, 0.78])  # fmt: skip
    doc.p(f"人民调解员（签名）：{a.mediator.name if a and a.mediator else ''}　＿＿＿＿＿＿")
    doc.p(cn_date(a.recorded_at or a.created_at) if a else "　　年　　月　　日")
    return doc


def termination(m: Mediation) -> Doc:
    """调解终止记录: who ended the mediation or why it failed, and the routes the parties were
    told of (art. 23, 26)."""
    from .actions import ROUTES

    doc = Doc("termination", "人民调解终止记录", m.number)
    ended = m.state == "failed"
    if not ended:
        doc.p("（本调解未终止）")  # the blank form follows
    how = "当事人要求终止调解" if m.terminated_by_id else "调解不成，依法终止调解"
    how = how if ended else ""
    doc.table([
        ["编号", m.number],
        ["当事人", "、".join(f"{ROLES.get(p.role, '')}{p.name}" for p in _parties(m))],
        ["终止方式", how],
        ["提出终止的当事人", m.terminated_by.name if m.terminated_by else ""],
        ["终止原因", m.failure_reason],
        ["告知的其他途径", "、".join(ROUTES.get(r, r) for r in m.routes_told)],
        ["终止日期", _d(m.ended_at)],
        ["调解员", _mediators(m)],
    ], widths=[0.22, 0.78])  # fmt: skip
    doc.p("人民调解员（签名）：＿＿＿＿＿＿")
    doc.p(f"{m.committee.name}（印章）")
    doc.p(cn_date(m.ended_at) if ended else "　　年　　月　　日")
    return doc


WAYS = {"on_site": "实地回访", "phone": "电话回访", "at_office": "来调委会回访", "letter": "信函回访",
        "online": "网络或微信回访"}  # fmt: skip
PERFORMANCE = {"performed": "已全部履行", "partly": "部分履行", "not_performed": "未履行",
               "not_due": "未到履行期限"}  # fmt: skip


def followup(m: Mediation) -> Doc:
    """回访记录: per visit the format's fields (date, way, who visited, who was visited,
    performance, opinions), after the agreement's items and how each was performed."""
    doc = Doc("followup", "人民调解回访记录", m.number)
    a = getattr(m, "agreement", None)
    if a is not None:
        rows = [["履行事项", "义务人", "期限", "履行情况", "证明"]]
        for i in a.items.select_related("obligor"):
            done = f"已履行（{_d(i.done_at)}）" if i.done_at else "未履行"
            rows.append([i.what, i.obligor.name, _d(i.due_date), done, i.proof_note])
        doc.table(rows, header=True, widths=[0.3, 0.15, 0.17, 0.18, 0.2])
    visits = list(m.followups.select_related("by"))
    if not visits:
        doc.p("（尚无回访记录）")
    for n, f in enumerate(visits, start=1):
        if len(visits) > 1:
            doc.h(f"第{n}次回访")
        performance = PERFORMANCE.get(f.performance, "")
        if f.performance_note:
            performance += f"：{f.performance_note}"
        doc.table([
            ["回访日期", _d(f.visit_date)],
            ["回访方式", WAYS.get(f.way, f.way)],
            ["回访人", f.visitors or f.by.get_full_name()],
            ["被回访人", f.visited],
            ["协议履行情况", performance],
            ["回访情况", f.note],
            ["当事人意见", f.opinions],
        ], widths=[0.22, 0.78])  # fmt: skip
        doc.p(f"回访人（签名）：{f.visitors or f.by.get_full_name()}　＿＿＿＿＿＿")
        doc.p(cn_date(f.visit_date))
    return doc


def notes(m: Mediation) -> Doc:
    """备考: the judicial office's reviews of, and guidance on, the dispute (司法所)."""
    doc = Doc("notes", "备考（司法所复核与指导意见）", m.number)
    kinds = {"review": "疑难案件复核", "guidance": "指导意见"}
    rows = [["日期", "类别", "意见", "司法所工作人员"]]
    for r in m.reviews.select_related("by"):
        rows.append([_d(r.at), kinds.get(r.kind, r.kind), r.note, r.by.get_full_name()])
    doc.table(rows, header=True, widths=[0.18, 0.17, 0.47, 0.18])
    return doc


def identity(m: Mediation) -> Doc:
    doc = Doc("identity", "当事人身份证明材料", m.number)
    rows = [["当事人", "证件类型", "证件号码"]]
    for p in _parties(m):
        rows.append([p.name, str(Party.IdType(p.id_type).label) if p.id_type else "", p.id_number])
    doc.table(rows, header=True)
    return doc


def confirmation(m: Mediation) -> Doc:
    doc = Doc("confirmation", "司法确认材料", m.number)
    jc = getattr(getattr(m, "agreement", None), "confirmation", None)
    if jc is not None:
        result = {"pending": "审查中", "confirmed": "确认有效", "rejected": "不予确认"}[jc.result]
        doc.table([["申请日期", _d(jc.applied_at)], ["受理法院", jc.court],
                   ["确认结果", result], ["结果日期", _d(jc.result_at)], ["备注", jc.note]],
                  widths=[0.22, 0.78])  # fmt: skip
    return doc


def cover(m: Mediation) -> Doc:
    doc = Doc("cover", "人民调解卷宗", m.number)
    doc.table([
        ["卷宗编号", m.number],
        ["纠纷名称", m.case.title],
        ["当事人", "、".join(p.name for p in _parties(m))],
        ["调解结果", RESULT.get(m.state, m.state)],
        ["受理日期", _d(m.accepted_at or m.registered_at)],
        ["结案日期", _d(m.ended_at)],
        ["调解委员会", m.committee.name],
        ["调解员", _mediators(m)],
        ["立卷日期", cn_date(m.ended_at)],
        ["保管期限", "长期"],
    ], widths=[0.22, 0.78])  # fmt: skip
    return doc


def back_cover(m: Mediation, pages: int | None = None) -> Doc:
    doc = Doc("back_cover", "卷宗封底（备考表）", m.number)
    doc.table([
        ["本卷情况说明", f"本卷共{pages}页。" if pages else "本卷材料齐全。"],
        ["立卷人", _mediators(m)],
        ["检查人", ""],
        # The dossier is closed when the mediation ends, whatever the day it is printed.
        ["立卷日期", cn_date(m.ended_at)],
    ], widths=[0.22, 0.78])  # fmt: skip
    return doc


BUILDERS: dict[str, tuple[str, Callable[[Mediation], Doc]]] = {
    "application": ("人民调解申请书", application),
    "acceptance_register": ("人民调解受理登记表", acceptance_register),
    "rights_notice": ("人民调解权利义务告知书", rights_notice),
    "investigation": ("人民调解调查记录", investigation),
    "mediation_record": ("人民调解记录", mediation_record),
    "agreement": ("人民调解协议书", agreement),
    "oral_register": ("人民调解口头协议登记表", oral_register),
    "followup": ("人民调解回访记录", followup),
    "termination": ("人民调解终止记录", termination),
    "cover": ("卷宗封面", cover),
    "contents": ("卷内目录", lambda m: build_dossier(m).contents),
    "notes": ("备考", notes),
    "back_cover": ("卷宗封底", back_cover),
}


def build(m: Mediation, key: str, actor=None) -> Doc:
    if key not in BUILDERS:
        raise KeyError(key)
    if actor is not None and key in ("application", "agreement"):
        # Full ID numbers and phones are printed: the read is logged (PIPL art. 28).
        log_sensitive_read(actor, m.case, "parties", f"mediation document {key}")
    return BUILDERS[key][1](m)


# -- the dossier ---------------------------------------------------------------------------


@dataclass
class DossierItem:
    label: str
    required: bool
    present: bool
    doc: Doc | None = None
    files: list[Attachment] = field(default_factory=list)  # merged after the doc, in order


def _unique(files: list[Attachment]) -> list[Attachment]:
    seen: set[int] = set()
    out = []
    for f in files:
        if f.pk not in seen:
            seen.add(f.pk)
            out.append(f)
    return out


def evidence_files(m: Mediation) -> tuple[list[Attachment], list[Attachment]]:
    """(evidence, proof of performance): the files shown at sessions in session order, then the
    case's other files in upload order; the proof files of performed items in item order."""
    a = getattr(m, "agreement", None)
    proofs = []
    if a is not None:
        proofs = _unique([i.proof_attachment for i in a.items.select_related("proof_attachment")
                          if i.proof_attachment is not None])  # fmt: skip
    shown = [e for s in m.sessions.prefetch_related("evidence") for e in s.evidence.all()]
    proof_ids = {f.pk for f in proofs}
    rest = list(m.case.attachments.order_by("uploaded_at", "id"))
    return _unique([f for f in shown + rest if f.pk not in proof_ids]), proofs


def dossier_items(m: Mediation) -> list[DossierItem]:
    """The items of the dossier in the legal order (STANDARDS.md), present or missing."""
    parties = _parties(m)
    noticed = set(m.notices.values_list("party_id", flat=True))
    a = getattr(m, "agreement", None)
    persons = [p for p in parties if p.party_type == Party.PartyType.PERSON]
    evidence, proof_files = evidence_files(m)
    agreement_required = m.state not in ("failed", "refused", "withdrawn")
    proofs = a is not None and a.items.exclude(done_at__isnull=True).exists()
    first = application(m) if m.start_mode == StartMode.APPLICATION else acceptance_register(m)
    items = [
        DossierItem("调解申请书或受理登记表", True, True, first),
        DossierItem("权利义务告知书", True, bool(parties) and all(p.pk in noticed for p in parties),
                    rights_notice(m)),
        DossierItem("当事人身份证明", True, bool(parties) and all(p.id_number for p in persons),
                    identity(m)),
        DossierItem("授权委托书", False, False),
        DossierItem("调查记录", False, m.investigations.exists(), investigation(m)),
        DossierItem("证据材料", False, bool(evidence), None, evidence),
        DossierItem("调解记录", True, m.sessions.exclude(minutes="").exists(),
                    mediation_record(m)),
        DossierItem("调解协议书", agreement_required, a is not None, agreement(m)),
        DossierItem("调解终止记录", False, m.state == "failed", termination(m)),
        DossierItem("履行凭证", False, proofs or bool(proof_files), None, proof_files),
        DossierItem("回访记录", False, m.followups.exists(), followup(m)),
        DossierItem("司法确认材料", False, a is not None and hasattr(a, "confirmation"),
                    confirmation(m)),
        DossierItem("备注", False, m.reviews.exists(), notes(m)),
        DossierItem("卷宗封底", True, True, back_cover(m)),
    ]  # fmt: skip
    return items


def missing_items(m: Mediation) -> list[str]:
    return [i.label for i in dossier_items(m) if i.required and not i.present]


@dataclass
class FilePart:
    """One evidence or proof file in the dossier: its pages, or why it could not be included."""

    item: str
    attachment: Attachment
    pdf: bytes | None = None
    problem: str = ""
    first_page: int = 0


IMAGE_MAX_PIXELS = 60_000_000  # larger images are refused rather than decoded (memory)


def _file_pdf(item: str, att: Attachment) -> FilePart:
    """The file as PDF pages (an image on an A4 page of its own, scaled to fit; a PDF checked
    page by page), or the reason it cannot be included. Never raises for bad content."""
    part = FilePart(item, att)
    try:
        with att.file.open("rb") as fh:
            data = fh.read()
    except (OSError, ValueError) as e:
        part.problem = f"文件无法读取（{type(e).__name__}）"
        return part
    found = detect(data[:16])
    if found is None or found[0] != att.content_type:
        part.problem = "文件内容与登记的类型不符"
        return part
    try:
        if found[0] == "application/pdf":
            part.pdf = _pdf_pages(data)
        else:
            part.pdf = _image_page(item, att, data)
    except Exception as e:  # any decoder error of a damaged or forged file is reported
        part.problem = f"文件已损坏，无法读取（{type(e).__name__}）"
    return part


def _pdf_pages(data: bytes) -> bytes:
    """A PDF evidence file rewritten on its own first, so a damaged one fails here and not in
    the dossier."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        raise ValueError("encrypted")
    if not len(reader.pages):
        raise ValueError("no pages")
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _image_page(item: str, att: Attachment, data: bytes) -> bytes:
    """One A4 page: the item and file name, and the image scaled to fit the page."""
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    with Image.open(io.BytesIO(data)) as probe:
        if probe.width * probe.height > IMAGE_MAX_PIXELS:
            raise ValueError("image too large")
        probe.verify()
    image = Image.open(io.BytesIO(data))
    image.load()
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    font = register_font()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    width, height = A4
    margin = 20 * mm
    c.setFont(font, 10.5)
    c.drawString(margin, height - margin, f"{item}：{att.original_name}")
    box_w, box_h = width - 2 * margin, height - 2 * margin - 10 * mm
    scale = min(box_w / image.width, box_h / image.height)
    w, h = image.width * scale, image.height * scale
    c.drawImage(ImageReader(image), margin + (box_w - w) / 2, margin + box_h - h, w, h)
    c.showPage()
    c.save()
    return out.getvalue()


def _problem_page(part: FilePart) -> bytes:
    doc = Doc("unreadable", f"{part.item}：未能并入的文件", "")
    doc.table([["文件", part.attachment.original_name], ["情况", part.problem],
               ["上传时间", _d(part.attachment.uploaded_at, True)]], widths=[0.22, 0.78])  # fmt: skip
    doc.p("原件请向人民调解委员会调阅。")
    return render_pdf([doc])


def _page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def _contents(m: Mediation, items: list[DossierItem], pages: dict[int, int],
              files: list[FilePart]) -> Doc:  # fmt: skip
    doc = Doc("contents", "卷内目录", m.number)
    rows = [["序号", "材料名称", "是否必备", "情况", "页号"]]
    for i, item in enumerate(items, start=1):
        state = "有" if item.present else ("缺" if item.required else "无")
        rows.append([str(i), item.label, "必备" if item.required else "", state,
                     str(pages.get(i, ""))])  # fmt: skip
    doc.table(rows, header=True, widths=[0.1, 0.45, 0.15, 0.12, 0.18])
    missing = [i.label for i in items if i.required and not i.present]
    doc.p("缺少的必备材料：" + ("、".join(missing) if missing else "无"))
    if files:
        rows = [["材料", "文件", "页号", "情况"]]
        for f in files:
            rows.append([f.item, f.attachment.original_name, str(f.first_page or ""),
                         f.problem or "已并入"])  # fmt: skip
        doc.table(rows, header=True, widths=[0.15, 0.4, 0.1, 0.35])
    bad = [f"{f.attachment.original_name}（{f.problem}）" for f in files if f.problem]
    doc.p("未能并入的文件：" + ("；".join(bad) if bad else "无"))
    return doc


@dataclass
class Dossier:
    pdf: bytes
    pages: int
    missing: list[str]
    files: list[FilePart]
    contents: Doc  # 卷内目录 with the page numbers of this PDF

    @property
    def problems(self) -> list[FilePart]:
        return [f for f in self.files if f.problem]


def _number_pages(writer) -> None:
    """Stamp every page of the dossier with its number at the foot (the numbers the contents
    list gives), whatever the page's size."""
    from pypdf import PdfReader
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    font = register_font()
    out = io.BytesIO()
    c = canvas.Canvas(out)
    for n, page in enumerate(writer.pages, start=1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        c.setPageSize((width, height))
        c.setFont(font, 10.5)
        c.drawCentredString(width / 2, 10 * mm, f"— {n} —")
        c.showPage()
    c.save()
    stamps = PdfReader(io.BytesIO(out.getvalue())).pages
    for page, stamp in zip(writer.pages, stamps, strict=True):
        page.merge_page(stamp)


def build_dossier(m: Mediation, actor=None) -> Dossier:
    """Cover, contents (page numbers, missing items, every file and what could not be
    included), then every present item in the legal order with its files merged in after it,
    and the back cover with the page count."""
    from pypdf import PdfReader, PdfWriter

    if actor is not None:
        log_sensitive_read(actor, m.case, "parties", "mediation dossier")
    items = dossier_items(m)
    back_index = len(items)  # the back cover closes the dossier
    # The body: per present item, its document, then each file (or a page saying why not).
    body: list[tuple[int, bytes, FilePart | None]] = []
    files: list[FilePart] = []
    for i, item in enumerate(items[:-1], start=1):
        if not item.present:
            continue
        if item.doc is not None:
            body.append((i, render_pdf([item.doc]), None))
        for att in item.files:
            part = _file_pdf(item.label, att)
            files.append(part)
            body.append((i, part.pdf if part.pdf is not None else _problem_page(part), part))
    sizes = [_page_count(pdf) for _i, pdf, _p in body]
    cover_pdf = render_pdf([cover(m)])
    contents_pages = 1
    for _attempt in range(4):  # the contents' own length moves the page numbers after it
        page = _page_count(cover_pdf) + contents_pages + 1
        pages: dict[int, int] = {}
        for (i, _pdf, part), size in zip(body, sizes, strict=True):
            pages.setdefault(i, page)
            if part is not None:
                part.first_page = page
            page += size
        pages[back_index] = page
        contents_pdf = render_pdf([_contents(m, items, pages, files)])
        if _page_count(contents_pdf) == contents_pages:
            break
        contents_pages = _page_count(contents_pdf)
    back_pdf = render_pdf([back_cover(m, pages[back_index])])
    writer = PdfWriter()
    for chunk in [cover_pdf, contents_pdf, *(pdf for _i, pdf, _p in body), back_pdf]:
        for p in PdfReader(io.BytesIO(chunk)).pages:
            writer.add_page(p)
    _number_pages(writer)
    writer.add_metadata({"/Title": f"{m.number} 人民调解卷宗", "/Author": "枫桥"})
    out = io.BytesIO()
    writer.write(out)
    missing = [i.label for i in items if i.required and not i.present]
    contents_doc = _contents(m, items, pages, files)
    return Dossier(out.getvalue(), len(writer.pages), missing, files, contents_doc)


def dossier_pdf(m: Mediation, actor=None) -> bytes:
    return build_dossier(m, actor).pdf


def document_bytes(m: Mediation, key: str, fmt: str, actor=None) -> tuple[bytes, str, str]:
    """(content, content type, file name) of one document."""
    doc = build(m, key, actor)
    name = f"{m.number}-{BUILDERS[key][0]}"
    if fmt == "docx":
        ctype = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        return render_docx(doc), ctype, f"{name}.docx"
    if fmt == "pdf":
        return render_pdf([doc]), "application/pdf", f"{name}.pdf"
    raise KeyError(fmt)
