"""Case API endpoints under /api/v1/cases/."""

from django.urls import path

from fengqiao.cases import api
from fengqiao.cases.serializers import TASK_ACTIONS, TRANSITION_SERIALIZERS

urlpatterns = [
    path("", api.CaseListCreate.as_view(), name="api-cases"),
    path("on-the-spot/", api.CaseOnTheSpotCreate.as_view(), name="api-cases-on-the-spot"),
    path("inbox/", api.InboxList.as_view(), name="api-cases-inbox"),
    path("categories/", api.CategoryList.as_view(), name="api-cases-categories"),
    path("channels/", api.ChannelList.as_view(), name="api-cases-channels"),
    path("<int:pk>/", api.CaseDetail.as_view(), name="api-case"),
    path("<int:pk>/tasks/", api.TaskList.as_view(), name="api-case-tasks"),
    path("<int:pk>/notes/", api.NoteListCreate.as_view(), name="api-case-notes"),
    path("<int:pk>/attachments/", api.AttachmentListCreate.as_view(), name="api-case-attachments"),
    path(
        "<int:pk>/attachments/<int:attachment_id>/file/",
        api.AttachmentFile.as_view(),
        name="api-case-attachment-file",
    ),
]
# One path per transition and task action, so the schema documents each request body exactly.
urlpatterns += [
    path(f"<int:pk>/transitions/{name}/", api.transition_view(name), name=f"api-case-{name}")
    for name in TRANSITION_SERIALIZERS
]
urlpatterns += [
    path(
        f"<int:pk>/tasks/<int:task_id>/{action}/", api.task_view(action), name=f"api-task-{action}"
    )
    for action in TASK_ACTIONS
]
