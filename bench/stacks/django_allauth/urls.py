from __future__ import annotations

from django.urls import include, path

from bench.stacks.django_allauth import views

urlpatterns = [
    path("dashboard", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
]
