"""Retention (PIPL art. 19, 47): rows that ended longer ago than their rule allows are
anonymised: names, ID numbers (ciphertext and hash), phones, health, addresses and extension
values are cleared; counts by grid and kind stay. Run daily by the scheduler."""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_lazy

from fengqiao.core import audit
from fengqiao.registry.models import (
    ExtraRecord,
    House,
    KeyPerson,
    KeyPersonKind,
    Organisation,
    Place,
    Resident,
    RetentionRule,
    anonymise_fields,
)

SUBJECTS: dict[str, type[Model]] = {
    RetentionRule.Subject.RESIDENT: Resident,
    RetentionRule.Subject.HOUSE: House,
    RetentionRule.Subject.PLACE: Place,
    RetentionRule.Subject.ORGANISATION: Organisation,
    RetentionRule.Subject.EXTRA: ExtraRecord,
}
BATCH = 1000
# The key of the audit entry of an anonymised row ("anonymised": [False, True]), in words.
AUDIT_KEYS = {"anonymised": gettext_lazy("anonymised")}


def _anonymise(model: type[Model], cutoff: date, now_at: object) -> int:
    count = 0
    while True:
        with transaction.atomic():
            rows = list(
                model._default_manager.select_for_update()
                .filter(ended_on__lt=cutoff, anonymised_at__isnull=True)
                .order_by("pk")[:BATCH]
            )
            for obj in rows:
                anonymise_fields(obj)
                obj.anonymised_at = now_at  # type: ignore[attr-defined]
                obj.save()
                audit.record(None, "update", obj, {"anonymised": [False, True]})
        count += len(rows)
        if len(rows) < BATCH:
            return count


def apply_rules(today: date | None = None) -> int:
    """Anonymise every row past its rule; returns how many were anonymised."""
    today = today or timezone.localdate()
    now_at = timezone.now()
    total = 0
    for rule in RetentionRule.objects.filter(active=True):
        model = SUBJECTS.get(rule.subject)
        if model is not None:
            total += _anonymise(model, today - timedelta(days=rule.days), now_at)
    # Key persons: by their kind's retention (health and criminal records are sensitive).
    for kind in KeyPersonKind.objects.all():
        cutoff = today - timedelta(days=kind.retention_days)
        with transaction.atomic():
            rows = list(
                KeyPerson.objects.select_for_update().filter(
                    kind=kind, active=False, ended_on__lt=cutoff, anonymised_at__isnull=True
                )
            )
            for kp in rows:
                kp.notes_ct = ""
                kp.extra = {}
                kp.anonymised_at = now_at
                kp.save(update_fields=["notes_ct", "extra", "anonymised_at"])
                kp.visits.update(findings="已匿名")
                audit.record(None, "update", kp, {"anonymised": [False, True]})
        total += len(rows)
    return total
