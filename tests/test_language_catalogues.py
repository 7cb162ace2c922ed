"""One word per message: a msgid (in one context) means the same in every app's catalogue.

Django merges the apps' catalogues into one, so a msgid translated two ways shows one app's word on
the other app's screens. Words that differ by screen carry a context (``pgettext``,
``{% translate "x" context "y" %}``).
"""

import gettext
import re
from collections import defaultdict

from django.utils import translation

from tests.po_catalogues import PACKAGE, catalogues, entries


def test_the_parser_reads_every_catalogue():
    paths = catalogues()
    assert len(paths) >= 15
    read = [e for p in paths for e in entries(p)]
    assert len(read) > 2000
    assert any(e.context == "date range" and e.msgid == "To" for e in read)


def test_no_message_translates_two_ways_across_apps():
    seen: dict[tuple[str | None, str], dict[str, list[str]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for path in catalogues():
        for e in entries(path):
            if e.msgstr and not e.fuzzy:
                seen[(e.context, e.msgid)][e.msgstr].append(e.app)
    conflicts = {key: dict(words) for key, words in seen.items() if len(words) > 1}
    assert not conflicts, "\n".join(
        f"{ctx or '(no context)'} | {msgid!r}: {words}"
        for (ctx, msgid), words in sorted(conflicts.items(), key=str)
    )


def test_compiled_catalogues_match_their_sources():
    for path in catalogues():
        with open(path.with_suffix(".mo"), "rb") as fh:
            compiled = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
        for e in entries(path):
            if not e.msgstr or e.fuzzy:
                continue
            key = f"{e.context}\x04{e.msgid}" if e.context else e.msgid
            got = compiled.get(key, compiled.get((key, 0)))
            assert got == e.msgstr, f"{path}: {e.msgid!r} is not compiled (run msgfmt)"


def test_each_screen_says_its_own_word():
    with translation.override("zh-hans"):
        assert translation.gettext("To") == "移交至"  # divert a case to …
        assert translation.pgettext("date range", "To") == "结束日期"
        assert translation.gettext("failed") == "失败"  # a webhook delivery, an export
        assert translation.pgettext("mediation", "failed") == "调解不成"
        assert translation.gettext("Updated") == "修改"  # audit action
        assert translation.pgettext("time", "Updated") == "更新于"
        assert translation.pgettext("responsibility system", "Assessment") == "考核"
        assert translation.gettext("case") == "事件"


PY_CONTEXT = re.compile(r'\bpgettext(?:_lazy)?\(\s*"([^"]+)",\s*"([^"]+)"\s*\)')
TEMPLATE_CONTEXT = re.compile(
    r"""\{%\s*translate\s+(?:"([^"]*)"|'([^']*)')\s+context\s+(?:"([^"]*)"|'([^']*)')"""
)


def _context_uses() -> set[tuple[str, str, str]]:
    uses: set[tuple[str, str, str]] = set()
    for path in PACKAGE.rglob("*"):
        if "migrations" in path.parts:
            continue
        if path.suffix == ".py":
            for ctx, msgid in PY_CONTEXT.findall(path.read_text(encoding="utf-8")):
                uses.add((str(path.relative_to(PACKAGE)), ctx, msgid))
        elif path.suffix == ".html":
            for m1, m2, c1, c2 in TEMPLATE_CONTEXT.findall(path.read_text(encoding="utf-8")):
                uses.add((str(path.relative_to(PACKAGE)), c1 or c2, m1 or m2))
    return uses


def test_every_message_with_a_context_is_translated():
    translated = {
        (e.context, e.msgid) for p in catalogues() for e in entries(p) if e.msgstr and not e.fuzzy
    }
    uses = _context_uses()
    assert len(uses) > 50
    missing = sorted(u for u in uses if (u[1], u[2]) not in translated)
    assert not missing, "\n".join(f"{where}: {ctx} | {msgid!r}" for where, ctx, msgid in missing)
