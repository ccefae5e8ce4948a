"""The SCIM filter's attributes and the columns they read (`filter=userName eq "…"`); its own
module, as django-scim2's adapters read it while they load."""

from django_scim.filters import GroupFilterQuery, UserFilterQuery


class UserFilter(UserFilterQuery):  # type: ignore[misc]
    attr_map = {
        **UserFilterQuery.attr_map,
        ("emails", "value", None): "email",
        ("emails", None, None): "email",
    }


class GroupFilter(GroupFilterQuery):  # type: ignore[misc]
    attr_map = {
        ("displayName", None, None): "display_name",
        ("externalId", None, None): "external_id",
    }
