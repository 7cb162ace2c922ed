"""The task list in the admin site: open to administrators (django-tasks-db's own admin asks for
Django model permissions, which platform administrators do not hold), read-only, with the
personal data in task arguments masked."""

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from fengqiao.accounts.platform_admin import PlatformAdminMixin
from fengqiao.accounts.roles import Perm
from fengqiao.core.masking import mask_name, mask_phone
from fengqiao.ops import retry
from fengqiao.ops.models import DeadLetter, TaskLease

# Keys of task arguments that hold personal data (notification recipients).
_MASKS = {"phone": mask_phone, "name": mask_name}


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in _MASKS and isinstance(item, str):
                out[key] = _MASKS[key](item)
            elif key == "email" and isinstance(item, str) and item:
                out[key] = "***@" + item.rsplit("@", 1)[-1]
            else:
                out[key] = _masked(item)
        return out
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(PlatformAdminMixin, DBTaskResultAdmin):
    admin_perm = Perm.REFERENCE_EDIT
    list_display: Any = (*DBTaskResultAdmin.list_display, "lease")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        fields[fields.index("args_kwargs")] = "arguments"
        return fields

    @admin.display(description=_("arguments"))
    def arguments(self, obj: DBTaskResult) -> str:
        text = json.dumps(_masked(obj.args_kwargs), ensure_ascii=False, indent=1)
        return format_html("<pre>{}</pre>", text)

    @admin.display(description=_("lease expires"))
    def lease(self, obj: DBTaskResult) -> Any:
        lease = TaskLease.objects.filter(task_id=obj.id).first()
        return lease.expires_at if lease else "-"


@admin.register(TaskLease)
class TaskLeaseAdmin(PlatformAdminMixin, admin.ModelAdmin[TaskLease]):
    admin_perm = Perm.REFERENCE_EDIT
    readonly_fields = ["task_id", "worker_id", "taken_at", "renewed_at", "expires_at"]
    list_display = ["task_id", "worker_id", "taken_at", "renewed_at", "expires_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DeadLetter)
class DeadLetterAdmin(PlatformAdminMixin, admin.ModelAdmin[DeadLetter]):
    """The dead-letter list: notifications given up after their last retry, to replay."""

    admin_perm = Perm.REFERENCE_EDIT
    list_display = ["created_at", "kind", "recipient", "attempts", "short_error", "replayed_at"]
    list_filter = ["kind", ("replayed_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["kind", "task_path", "recipient", "masked_arguments", "error", "attempts",
                       "created_at", "replayed_at", "replayed_by"]  # fmt: skip
    fields = ["kind", "task_path", "recipient", "masked_arguments", "error", "attempts",
              "created_at", "replayed_at", "replayed_by"]  # fmt: skip
    actions = ["replay"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("recipient"))
    def recipient(self, obj: DeadLetter) -> str:
        person = _masked(obj.arguments.get("recipient") or {})
        return " ".join(str(v) for v in person.values() if v) if isinstance(person, dict) else ""

    @admin.display(description=_("arguments"))
    def masked_arguments(self, obj: DeadLetter) -> str:
        text = json.dumps(_masked(obj.arguments), ensure_ascii=False, indent=1)
        return format_html("<pre>{}</pre>", text)

    @admin.display(description=_("last error"))
    def short_error(self, obj: DeadLetter) -> str:
        return obj.error[:80]

    @admin.action(description=_("Replay the selected dead letters"))
    def replay(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        done = skipped = 0
        for letter in queryset:
            try:
                retry.replay(request.user, letter.pk)
            except retry.NotReplayable:
                skipped += 1
            else:
                done += 1
        if done:
            self.message_user(request, _("%(n)d queued again.") % {"n": done}, messages.SUCCESS)
        if skipped:
            self.message_user(
                request, _("%(n)d were replayed before.") % {"n": skipped}, messages.WARNING
            )
