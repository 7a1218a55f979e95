"""Object-level permission checks shared by every app (no IDOR: check the owner, not the id)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from circlemart.core.errors import NotFound, PermissionDenied


def require_owner(obj: Any, user: Any, *, owner_field: str = "user_id") -> None:
    """Someone else's object looks exactly like a missing one: 404, not 403, so ids leak nothing."""
    if obj is None or getattr(obj, owner_field) != getattr(user, "pk", None):
        raise NotFound(_("Not found."))


def require_permission(user: Any, permission: str) -> None:
    if not getattr(user, "is_authenticated", False) or not user.has_perm(permission):
        raise PermissionDenied(_("You do not have permission to do that."))
