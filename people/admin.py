"""People in Django admin: an admin changes someone's role or team, or deactivates them, here;
each such change goes through people.services.person_save and into the audit log."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from rest_framework.authtoken.models import TokenProxy

from accounts.models import User
from people.services import person_save


@admin.register(User)
class UserAdmin(BaseUserAdmin):  # type: ignore[type-arg]
    list_display = ("username", "first_name", "last_name", "email", "role", "team", "is_active")
    list_filter = ("role", "team", "is_active")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("FeedbackLoop", {"fields": ("role", "team", "time_zone")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("FeedbackLoop", {"fields": ("email", "first_name", "last_name", "role", "team")}),
    )

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """People join through an invite (they choose their own password), not one typed here."""
        messages.info(request, "Invite people by email: they choose their own password.")
        return redirect("people:list")

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        assert isinstance(request.user, User)
        person_save(by=request.user, person=obj)


# DRF's own tokens no longer sign anyone in (people.ApiToken does): no page to make them on.
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)
