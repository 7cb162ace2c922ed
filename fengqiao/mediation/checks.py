"""`fengqiao check`: the PDF font chain (every PDF the platform makes) is there and usable
(mediation.W001), and covers the blocks of GB 18030-2022's repertoire (mediation.W002)."""

from django.core.checks import Warning, register

from .fonts import HINT, chain_problems, missing_blocks


@register("mediation")
def pdf_font_check(app_configs=None, **kwargs):
    problems = chain_problems()
    if problems:
        return [
            Warning(
                f"PDFs cannot be made (downloads answer 503): {' '.join(problems)}",
                hint=HINT,
                id="mediation.W001",
            )
        ]
    missing = missing_blocks()
    if not missing:
        return []
    blocks = "; ".join(f"{block} (e.g. {ch} U+{ord(ch):04X})" for block, ch in missing)
    return [
        Warning(
            f"No font of the PDF font chain has glyphs for {blocks}: names with such characters "
            "print as empty boxes (their text is kept).",
            hint=HINT,
            id="mediation.W002",
        )
    ]
