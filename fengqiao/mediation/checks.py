"""`fengqiao check`: the PDF font (mediation documents and dossiers) is there and usable."""

from django.core.checks import Warning, register

from .fonts import HINT, font_problem


@register("mediation")
def pdf_font_check(app_configs=None, **kwargs):
    problem = font_problem()
    if not problem:
        return []
    return [Warning(f"Mediation PDFs cannot be made: {problem}", hint=HINT, id="mediation.W001")]
