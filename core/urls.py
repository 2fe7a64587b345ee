from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from core import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="invoice_list"), name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="core/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("invoices/", views.invoice_list, name="invoice_list"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/row/", views.invoice_row, name="invoice_row"),
    path("invoices/<int:pk>/decide/", views.invoice_decide, name="invoice_decide"),
    path("invoices/<int:pk>/fields/", views.invoice_fields, name="invoice_fields"),
    path("documents/<int:pk>/file/", views.document_file, name="document_file"),
    path("upload/", views.upload, name="upload"),
    path("admin/", admin.site.urls),
]
