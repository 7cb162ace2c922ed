"""Read the apps' hand-edited .po catalogues (a small parser: no polib in the dependencies)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "fengqiao"


@dataclass(frozen=True)
class Entry:
    app: str
    context: str | None
    msgid: str
    msgstr: str
    fuzzy: bool


def catalogues() -> list[Path]:
    return sorted(PACKAGE.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))


def _unquote(text: str) -> str:
    value = ast.literal_eval(text)
    assert isinstance(value, str)
    return value


def entries(path: Path) -> list[Entry]:
    """Every entry of one .po file (the header and obsolete ``#~`` entries left out)."""
    app = path.relative_to(PACKAGE).parts[0]
    found: list[Entry] = []
    fields: dict[str, str] = {}
    current: str | None = None
    fuzzy = False

    def flush() -> None:
        nonlocal fields, current, fuzzy
        if fields.get("msgid"):
            msgstr = fields.get("msgstr", fields.get("msgstr[0]", ""))
            found.append(Entry(app, fields.get("msgctxt"), fields["msgid"], msgstr, fuzzy))
        fields, current, fuzzy = {}, None, False

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#"):
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            continue
        if line.startswith('"'):
            if current is not None:
                fields[current] += _unquote(line)
            continue
        keyword, _, rest = line.partition(" ")
        if keyword in ("msgctxt", "msgid") and "msgid" in fields and keyword in fields:
            flush()
        if keyword == "msgctxt" and "msgid" in fields:
            flush()
        current = keyword
        fields[keyword] = _unquote(rest)
    flush()
    return found
