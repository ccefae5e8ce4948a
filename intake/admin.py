from django.contrib import admin

from intake.models import Comment, Contact, Customer, ProductArea, Ticket


@admin.register(ProductArea)
class ProductAreaAdmin(admin.ModelAdmin[ProductArea]):
    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin[Customer]):
    list_display = ("name", "segment", "annual_revenue")
    list_filter = ("segment",)
    search_fields = ("name",)

    def save_model(self, request: object, obj: Customer, form: object, change: bool) -> None:
        # One company per name whatever the spelling: the key follows the name.
        obj.name = " ".join(obj.name.split())
        obj.name_key = obj.name.casefold()
        super().save_model(request, obj, form, change)  # type: ignore[arg-type]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin[Contact]):
    list_display = ("email", "name", "customer", "unsubscribed_at", "bouncing")
    list_filter = ("bouncing",)
    search_fields = ("email", "name", "customer__name")
    list_select_related = ("customer",)
    raw_id_fields = ("customer",)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin[Ticket]):
    list_display = ("title", "customer", "importance", "status", "submitted_by", "created_at")
    list_filter = ("status", "importance", "source_team", "kind")
    search_fields = ("title", "customer__name")
    list_select_related = ("customer", "submitted_by")
    raw_id_fields = ("customer", "contact", "submitted_by", "initiative", "duplicate_of")
    readonly_fields = ("status", "initiative")


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin[Comment]):
    list_display = ("ticket", "author", "kind", "created_at")
    raw_id_fields = ("ticket", "author")
