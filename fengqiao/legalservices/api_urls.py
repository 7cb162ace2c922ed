"""Public legal services API under /api/v1/legal/."""

from django.urls import path

from fengqiao.legalservices import api

urlpatterns = [
    path("topics/", api.TopicList.as_view(), name="api-legal-topics"),
    path("ask/", api.Ask.as_view(), name="api-legal-ask"),
    path("track/", api.Track.as_view(), name="api-legal-track"),
    path("track/follow-up/", api.TrackFollowUp.as_view(), name="api-legal-follow-up"),
    path("track/rate/", api.TrackRate.as_view(), name="api-legal-rate"),
    path("points/", api.PointList.as_view(), name="api-legal-points"),
    path("questions/", api.QuestionList.as_view(), name="api-legal-questions"),
    path("questions/<int:pk>/", api.QuestionDetail.as_view(), name="api-legal-question"),
    path("questions/<int:pk>/answer/", api.QuestionAnswer.as_view(), name="api-legal-answer"),
    path("questions/<int:pk>/note/", api.QuestionNote.as_view(), name="api-legal-note"),
    path(
        "questions/<int:pk>/refer-aid/", api.QuestionReferAid.as_view(), name="api-legal-refer-aid"
    ),
    path(
        "questions/<int:pk>/refer-mediation/",
        api.QuestionReferMediation.as_view(),
        name="api-legal-refer-mediation",
    ),
    path("figures/", api.Figures.as_view(), name="api-legal-figures"),
]
