"""/scim/v2/: django-scim2's views, with no login (the bearer token is checked instead)."""

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.urls import re_path
from django_scim import exceptions, views
from django_scim.views import GroupSearchView, GroupsView, UserSearchView, UsersView


def _checked_id(view: Any) -> None:
    uuid = view.kwargs.get(view.lookup_url_kwarg)
    if uuid is not None and not str(uuid).isdigit():
        raise exceptions.NotFoundError(uuid)


class ScimUsersView(UsersView):  # type: ignore[misc]
    def get_object(self) -> Any:
        _checked_id(self)
        return super().get_object()


class ScimUserSearchView(UserSearchView):  # type: ignore[misc]
    pass


class ScimGroupsView(GroupsView):  # type: ignore[misc]
    def get_object(self) -> Any:
        _checked_id(self)
        return super().get_object()


class ScimGroupSearchView(GroupSearchView):  # type: ignore[misc]
    pass


app_name = "scim"

urlpatterns = [
    re_path(r"^$", login_not_required(views.SCIMView.as_view(implemented=False)), name="root"),
    re_path(
        r"^Users/\.search$", login_not_required(ScimUserSearchView.as_view()), name="users-search"
    ),
    re_path(
        r"^Users(?:/(?P<uuid>[^/]+))?$", login_not_required(ScimUsersView.as_view()), name="users"
    ),
    re_path(
        r"^Groups/\.search$",
        login_not_required(ScimGroupSearchView.as_view()),
        name="groups-search",
    ),
    re_path(
        r"^Groups(?:/(?P<uuid>[^/]+))?$",
        login_not_required(ScimGroupsView.as_view()),
        name="groups",
    ),
    re_path(
        r"^ServiceProviderConfig$",
        login_not_required(views.ServiceProviderConfigView.as_view()),
        name="service-provider-config",
    ),
    re_path(
        r"^ResourceTypes(?:/(?P<uuid>[^/]+))?$",
        login_not_required(views.ResourceTypesView.as_view()),
        name="resource-types",
    ),
    re_path(
        r"^Schemas(?:/(?P<uuid>[^/]+))?$",
        login_not_required(views.SchemasView.as_view()),
        name="schemas",
    ),
]
