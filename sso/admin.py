from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import User
from sso.models import GroupMapping, SsoIdentity
from sso.services import group_mapping_delete, group_mapping_save


@admin.register(GroupMapping)
class GroupMappingAdmin(admin.ModelAdmin[GroupMapping]):
    """Which role and team members of a provider's group get (at single sign-on, and SCIM)."""

    list_display = ("group", "role", "team", "position")
    list_editable = ("role", "team", "position")

    def save_model(self, request: HttpRequest, obj: GroupMapping, form: Any, change: bool) -> None:
        assert isinstance(request.user, User)
        group_mapping_save(by=request.user, mapping=obj)

    def delete_model(self, request: HttpRequest, obj: GroupMapping) -> None:
        assert isinstance(request.user, User)
        group_mapping_delete(by=request.user, mapping=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[GroupMapping]) -> None:
        assert isinstance(request.user, User)
        for mapping in queryset:
            group_mapping_delete(by=request.user, mapping=mapping)


@admin.register(SsoIdentity)
class SsoIdentityAdmin(admin.ModelAdmin[SsoIdentity]):
    list_display = ("user", "issuer", "subject", "created_at", "last_login_at")
    list_select_related = ("user",)
    readonly_fields = ("user", "issuer", "subject", "created_at", "last_login_at")
    search_fields = ("subject", "user__username", "user__email")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
