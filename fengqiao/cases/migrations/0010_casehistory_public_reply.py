"""A public reply on case history entries, apart from the internal note.

Until now the reason or note a staff member typed with a transition was the entry's only text,
and Open311 published the latest one. From here on `note` is internal and `public_reply` is the
only text the public surfaces show. Existing rows:

- every reason and note stays internal (public_reply stays empty), except the two texts that
  were written for the public: a progress note its author marked "shown to the reporter"
  (action "note", public) and a resolution (action "resolve": the outcome, what was done);
- a close that replaced the resolution with its own text (e.g. "已办结。") gave the case that
  text as its outcome: the case gets back the resolution it had before.
"""

from django.db import migrations, models

BATCH = 1000


def forwards(apps, schema_editor):
    history = apps.get_model("cases", "CaseHistory")
    case_model = apps.get_model("cases", "Case")
    for action in ("note", "resolve"):
        history.objects.filter(action=action, public=True).exclude(note="").update(
            public_reply=models.F("note")
        )
    # The resolution each case had before a close overwrote it.
    resolution: dict[int, str] = {}
    restore: dict[int, tuple[str, str]] = {}  # case id -> (close text, resolution)
    rows = (
        history.objects.filter(action__in=["resolve", "close", "reopen"])
        .order_by("case_id", "at", "id")
        .values_list("case_id", "action", "note")
    )
    for case_id, action, note in rows.iterator(chunk_size=BATCH):
        if action == "resolve":
            resolution[case_id] = note
            restore.pop(case_id, None)
        elif action == "reopen":
            resolution.pop(case_id, None)
        elif case_id in resolution and note and note != resolution[case_id]:
            restore[case_id] = (note, resolution[case_id])
    for case_id, (closing, resolved) in restore.items():
        case_model.objects.filter(pk=case_id, outcome=closing).update(outcome=resolved)


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_category_civil_dispute")]

    operations = [
        migrations.AddField(
            model_name="casehistory",
            name="public_reply",
            field=models.TextField(blank=True, verbose_name="public reply"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
