from django.contrib import admin

from extraction.models import VendorProfile


@admin.register(VendorProfile)
class VendorProfileAdmin(admin.ModelAdmin):
    list_display = ["vendor", "learned_fields", "updated_at"]
    search_fields = ["vendor__name"]
    readonly_fields = ["updated_at"]

    @admin.display(description="learned fields")
    def learned_fields(self, profile):
        return ", ".join(sorted(profile.hints)) or "—"
