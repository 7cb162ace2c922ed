"""Mediation API endpoints under /api/v1/mediation/."""

from django.urls import path

from fengqiao.mediation import api, api_registers, api_supervision

urlpatterns = [
    path("", api.MediationListCreate.as_view(), name="api-mediations"),
    path("figures/", api_registers.FiguresView.as_view(), name="api-mediation-figures"),
    path("register/", api_registers.RegisterView.as_view(), name="api-mediation-register"),
    path(
        "supervision/",
        api_supervision.SupervisionView.as_view(),
        name="api-mediation-supervision",
    ),
    path(
        "<int:pk>/reviews/",
        api_supervision.ReviewListCreate.as_view(),
        name="api-mediation-reviews",
    ),
    path("<int:pk>/", api.MediationDetail.as_view(), name="api-mediation"),
    path("<int:pk>/sessions/", api.SessionListCreate.as_view(), name="api-mediation-sessions"),
    path("<int:pk>/notices/", api.NoticeCreate.as_view(), name="api-mediation-notices"),
    path("<int:pk>/agreement/", api.AgreementView.as_view(), name="api-mediation-agreement"),
    path("<int:pk>/agreement/sign/", api.AgreementSign.as_view(), name="api-mediation-sign"),
    path(
        "<int:pk>/agreement/items/<int:item>/performed/",
        api.ItemPerformed.as_view(),
        name="api-mediation-item-performed",
    ),
    path(
        "<int:pk>/agreement/confirmation/",
        api.ConfirmationAction.as_view(),
        name="api-mediation-confirmation",
    ),
    path("<int:pk>/accept/", api.AcceptAction.as_view(), name="api-mediation-accept"),
    path("<int:pk>/assign/", api.AssignAction.as_view(), name="api-mediation-assign"),
    path("<int:pk>/refuse/", api.RefuseAction.as_view(), name="api-mediation-refuse"),
    path("<int:pk>/withdraw/", api.WithdrawAction.as_view(), name="api-mediation-withdraw"),
    path(
        "<int:pk>/investigations/",
        api.InvestigationAction.as_view(),
        name="api-mediation-investigations",
    ),
    path("<int:pk>/violence/", api.ViolenceAction.as_view(), name="api-mediation-violence"),
    path("<int:pk>/failure/", api.FailureAction.as_view(), name="api-mediation-failure"),
    path("<int:pk>/terminate/", api.TerminateAction.as_view(), name="api-mediation-terminate"),
    path("<int:pk>/extend/", api.ExtendAction.as_view(), name="api-mediation-extend"),
    path("<int:pk>/followups/", api.FollowUpAction.as_view(), name="api-mediation-followups"),
    path(
        "oral-agreements/",
        api_registers.OralAgreementRegister.as_view(),
        name="api-mediation-oral-register",
    ),
    path(
        "committees/<int:committee>/mediators/",
        api_registers.CommitteeMediators.as_view(),
        name="api-mediation-committee-mediators",
    ),
    path(
        "<int:pk>/dossier.pdf",
        api_registers.DossierDownload.as_view(),
        name="api-mediation-dossier",
    ),
    path(
        "<int:pk>/documents/<slug:key>.<str:fmt>",
        api_registers.DocumentDownload.as_view(),
        name="api-mediation-document",
    ),
]
