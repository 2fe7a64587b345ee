from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from approvals.views import email_decision, out_of_office, vendor_list, vendor_trust
from core import api, audit_views, intake_views, line_views, queue_views, vendor_views, views
from core.erp import api as erp_api
from core.erp import views as erp_views

urlpatterns = [
    path("", queue_views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="core/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("invoices/", views.invoice_list, name="invoice_list"),
    path("queue/", queue_views.work_queue, name="work_queue"),
    path("embed/", RedirectView.as_view(url="/queue/?embed=1"), name="embed"),
    path("queue/bulk/", queue_views.queue_bulk, name="queue_bulk"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/row/", views.invoice_row, name="invoice_row"),
    path("invoices/<int:pk>/decide/", views.invoice_decide, name="invoice_decide"),
    path("invoices/<int:pk>/fields/", views.invoice_fields, name="invoice_fields"),
    path("invoices/<int:pk>/lines/", line_views.invoice_lines, name="invoice_lines"),
    path("invoices/<int:pk>/coding/", line_views.invoice_coding, name="invoice_coding"),
    path("invoices/<int:pk>/act/", queue_views.invoice_act, name="invoice_act"),
    path("invoices/<int:pk>/vendor/", vendor_views.invoice_vendor, name="invoice_vendor"),
    path("vendors/requests/", vendor_views.vendor_requests, name="vendor_requests"),
    path("documents/<int:pk>/pages/<int:number>.png", views.document_page, name="document_page"),
    path("documents/<int:pk>/file/", views.document_file, name="document_file"),
    path("upload/", views.upload, name="upload"),
    path("intake/", intake_views.intake, name="intake"),
    path("intake/messages/<int:pk>/handled/", intake_views.mark_handled, name="mark_handled"),
    path("intake/messages/<int:pk>/raw/", intake_views.message_raw, name="message_raw"),
    path("intake/messages/<int:pk>/", intake_views.message_record, name="message_record"),
    path("intake/left-out/<int:pk>/file/", intake_views.left_out_file, name="left_out_file"),
    path("intake/left-out/<int:pk>/take/", intake_views.take_left_out, name="take_left_out"),
    path("invoices/<int:pk>/reprocess/", intake_views.reprocess_invoice, name="reprocess"),
    path("api/v1/documents", api.post_documents, name="api_documents"),
    path("api/v1/documents/<int:pk>", api.document_status, name="api_document_status"),
    path("api/v1/openapi.json", erp_api.openapi, name="api_openapi"),
    path("api/v1/vendors", erp_api.vendors, name="api_vendors"),
    path("api/v1/vendors/<str:key>", erp_api.vendor, name="api_vendor"),
    path("api/v1/purchase-orders", erp_api.purchase_orders, name="api_purchase_orders"),
    path("api/v1/purchase-orders/<str:key>", erp_api.purchase_order, name="api_purchase_order"),
    path("api/v1/receipts", erp_api.receipts, name="api_receipts"),
    path("api/v1/receipts/<str:key>", erp_api.receipt, name="api_receipt"),
    path("api/v1/invoices/<int:pk>/payment", erp_api.invoice_payment, name="api_invoice_payment"),
    path("decide/<str:token>/", email_decision, name="email_decision"),
    path("vendors/", vendor_list, name="vendor_list"),
    path("vendors/<int:pk>/", vendor_trust, name="vendor_trust"),
    path("away/", out_of_office, name="out_of_office"),
    path("audit/", audit_views.audit_home, name="audit_home"),
    path("audit/events.<str:fmt>", audit_views.events_export, name="events_export"),
    path("invoices/<int:pk>/audit-pack/", audit_views.audit_pack, name="audit_pack"),
    path("history/<str:kind>/<int:pk>/", audit_views.history, name="history"),
    path("kpis/", audit_views.kpi_dashboard, name="kpi_dashboard"),
    path("kpis.csv", audit_views.kpi_csv, name="kpi_csv"),
    path("kpis/charts/<slug:name>.svg", audit_views.kpi_chart, name="kpi_chart"),
    path("outbox/", erp_views.outbox, name="outbox"),
    path("outbox/<int:pk>/", erp_views.outbox_act, name="outbox_act"),
    path("admin/", admin.site.urls),
]

# API paths answer in JSON even where no view matched (core.api.not_found).
handler400 = "core.api.bad_request"
handler404 = "core.api.not_found"
handler403 = "core.api.permission_denied"
handler500 = "core.api.server_error"
