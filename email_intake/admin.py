from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from email_intake.models import InboundEmail


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin[InboundEmail]):
    """Support's view of what arrived at the feedback address; read-only. The raw message is
    there for 90 days: "Download the message" on a row."""

    list_display = ["received_at", "via", "sender", "subject", "outcome", "ticket"]
    list_filter = ["via", "outcome"]
    search_fields = ["sender", "subject", "message_key"]
    readonly_fields = [
        "message_key",
        "via",
        "received_at",
        "sender",
        "subject",
        "size",
        "outcome",
        "detail",
        "ticket",
    ]
    actions = ["download"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundEmail]:
        # The list holds no message bytes (up to 10 MB each); the download reads one.
        return super().get_queryset(request).defer("raw").select_related("ticket")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description="Download the message (.eml)")
    def download(self, request: HttpRequest, queryset: QuerySet[InboundEmail]) -> HttpResponse:
        first = queryset.exclude(raw=None).order_by("-received_at").first()
        if first is None or first.raw is None:
            self.message_user(request, "The message was not kept (or is older than 90 days).")
            return HttpResponse(status=204)
        response = HttpResponse(bytes(first.raw), content_type="message/rfc822")
        response["Content-Disposition"] = f'attachment; filename="email-{first.pk}.eml"'
        return response
