"""Follow-up visits get the fields of the 回访记录 format (earlier ones: visit date from the time
recorded, way on-site, visitor the recorder, performance from the agreement's items); the
judicial office's reviews of hard cases (SupervisionReview)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def fill_followups(apps, schema_editor):
    FollowUp = apps.get_model("mediation", "FollowUp")
    PerformanceItem = apps.get_model("mediation", "PerformanceItem")
    for f in FollowUp.objects.select_related("by").iterator():
        items = PerformanceItem.objects.filter(agreement__mediation_id=f.mediation_id)
        done = items.filter(done_at__isnull=False).count()
        total = items.count()
        if total and done == total:
            performance = "performed"
        elif done:
            performance = "partly"
        else:
            performance = "not_performed" if total else "performed"
        f.visit_date = timezone.localtime(f.at).date()
        f.way = "on_site"
        f.visitors = (f.by.name or f.by.username)[:100]
        f.visited = "当事人"
        f.performance = performance
        f.save(update_fields=["visit_date", "way", "visitors", "visited", "performance"])


class Migration(migrations.Migration):
    dependencies = [
        ("mediation", "0006_event_hash_chain"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="followup",
            name="visit_date",
            field=models.DateField(null=True, verbose_name="visit date"),
        ),
        migrations.AddField(
            model_name="followup",
            name="way",
            field=models.CharField(
                choices=[("on_site", "on-site visit"), ("phone", "telephone"),
                         ("at_office", "at the committee's office"), ("letter", "letter"),
                         ("online", "online or messaging")],
                default="on_site", max_length=12, verbose_name="way of the visit",
            ),  # fmt: skip
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="followup",
            name="visitors",
            field=models.CharField(default="", max_length=100, verbose_name="visited by"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="followup",
            name="visited",
            field=models.CharField(default="", max_length=200, verbose_name="persons visited"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="followup",
            name="performance",
            field=models.CharField(
                choices=[("performed", "fully performed"), ("partly", "partly performed"),
                         ("not_performed", "not performed"), ("not_due", "not yet due")],
                default="performed", max_length=16, verbose_name="performance of the agreement",
            ),  # fmt: skip
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="followup",
            name="performance_note",
            field=models.TextField(blank=True, verbose_name="performance details"),
        ),
        migrations.AddField(
            model_name="followup",
            name="opinions",
            field=models.TextField(blank=True, verbose_name="opinions of the parties"),
        ),
        migrations.AlterField(
            model_name="followup",
            name="note",
            field=models.TextField(verbose_name="what the visit found"),
        ),
        migrations.RunPython(fill_followups, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="followup",
            name="visit_date",
            field=models.DateField(verbose_name="visit date"),
        ),
        migrations.CreateModel(
            name="SupervisionReview",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("kind", models.CharField(choices=[("review", "review of a hard case"),
                                                   ("guidance", "guidance")],
                                          max_length=10, verbose_name="kind")),
                ("at", models.DateTimeField(verbose_name="time")),
                ("note", models.TextField(verbose_name="review or guidance")),
                ("by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                         related_name="+", to=settings.AUTH_USER_MODEL,
                                         verbose_name="by")),
                ("mediation", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                related_name="reviews", to="mediation.mediation",
                                                verbose_name="mediation")),
            ],  # fmt: skip
            options={
                "verbose_name": "supervisor's review",
                "verbose_name_plural": "supervisor's reviews",
                "ordering": ["mediation", "at", "id"],
            },
        ),
    ]
