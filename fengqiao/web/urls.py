from django.contrib.auth import views as auth_views
from django.urls import path

from fengqiao.web import passwords, twofactor, views, views_work

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("login/verify/", twofactor.verify, name="two_factor_verify"),
    path("account/security/", twofactor.security, name="security"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", passwords.PasswordChangeView.as_view(), name="password_change"),
    path("audit/", views.audit_trail, name="audit"),
    path("audit/reads/", views.read_log, name="read_log"),
    path("tasks/", views_work.unit_tasks, name="unit_tasks"),
    path("tasks/<int:pk>/<slug:name>/", views_work.task_action, name="task_action"),
    path("my/reports/", views_work.my_reports, name="my_reports"),
    path("my/disputes/", views_work.my_disputes, name="my_disputes"),
]
