"""Back office for users: PII masked unless the operator holds accounts.view_pii."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from circlemart.accounts import selectors, services
from circlemart.accounts.contracts import Role
from circlemart.accounts.models import Address, User
from circlemart.core.crypto import mask_text
from circlemart.core.errors import DomainError


def _sees_pii(request: HttpRequest) -> bool:
    return bool(request.user.has_perm("accounts.view_pii"))


class AddressInline(TabularInline):
    model = Address
    extra = 0
    fields = ("label", "province", "city", "district", "recipient_shown", "is_default")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("recipient"))
    def recipient_shown(self, address: Address) -> str:
        return address.recipient if _sees_pii(self.request) else mask_text(address.recipient)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Address]:
        self.request = request
        return super().get_queryset(request)


def _role_action(role: Role, grant: bool) -> Any:
    verb = _("Grant") if grant else _("Revoke")

    @admin.action(description=f"{verb}: {role.value}")
    def action(modeladmin: UserAdmin, request: HttpRequest, queryset: QuerySet[User]) -> None:
        change = services.role_grant if grant else services.role_revoke
        actor = request.user
        assert isinstance(actor, User)
        try:
            for user in queryset:
                change(actor=actor, user=user, role=role)
        except DomainError as exc:
            modeladmin.message_user(request, str(exc.message), messages.ERROR)
            return
        modeladmin.message_user(request, _("Roles updated."), messages.SUCCESS)

    action.__name__ = f"{'grant' if grant else 'revoke'}_{role.value}"
    return action


@admin.register(User)
class UserAdmin(ModelAdmin):
    list_display = ("id", "nickname", "email", "phone_shown", "city", "roles_shown", "is_active")
    list_filter = ("is_active", "is_staff", "groups", "gender", "age_range")
    search_fields = ("email", "nickname")
    ordering = ("-id",)
    readonly_fields = (
        "email",
        "phone_shown",
        "date_joined",
        "last_login",
        "roles_shown",
    )
    fields = (
        "email",
        "phone_shown",
        "nickname",
        "avatar",
        "bio",
        "city",
        "gender",
        "age_range",
        "interests",
        "is_active",
        "roles_shown",
        "date_joined",
        "last_login",
    )
    inlines = (AddressInline,)
    actions = [
        _role_action(role, grant)
        for role in Role
        if role != Role.SHOPPER
        for grant in (True, False)
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        self.request = request
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("phone"))
    def phone_shown(self, user: User) -> str:
        return user.phone if _sees_pii(self.request) else user.masked_phone

    @admin.display(description=_("roles"))
    def roles_shown(self, user: User) -> str:
        return ", ".join(role.value for role in selectors.user_roles(user))

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change:  # deactivating someone ends their API access now, not when a lookup expires
            services.user_access_changed(user_id=obj.pk)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # accounts are anonymised by the privacy flow, never hard-deleted here


admin.site.unregister(Group)
