"""Object-level checks, domain errors and how forms show them."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser, Permission
from django.utils import translation

from circlemart.core.errors import (
    Conflict,
    DomainError,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from circlemart.core.permissions import require_owner, require_permission
from circlemart.core.web import form_error
from tests.accounts.factories import AddressFactory, UserFactory


@pytest.mark.django_db
def test_the_owner_passes():
    address = AddressFactory()
    require_owner(address, address.user)


@pytest.mark.django_db
def test_someone_elses_object_looks_missing():
    address = AddressFactory()
    stranger = UserFactory()

    for obj, user in [(address, stranger), (address, AnonymousUser()), (None, address.user)]:
        with translation.override("en"), pytest.raises(NotFound) as caught:
            require_owner(obj, user)
        assert caught.value.status == 404
        assert caught.value.as_dict() == {"code": "not_found", "message": "Not found."}


@pytest.mark.django_db
def test_owner_field_can_be_named():
    owner = UserFactory()

    class Note:
        author_id = owner.pk

    require_owner(Note(), owner, owner_field="author_id")
    with pytest.raises(NotFound):
        require_owner(Note(), UserFactory(), owner_field="author_id")


@pytest.mark.django_db
def test_require_permission():
    staff = UserFactory()
    staff.user_permissions.add(Permission.objects.get(codename="view_pii"))
    staff = type(staff).objects.get(pk=staff.pk)  # permissions are cached per instance

    require_permission(staff, "accounts.view_pii")
    for user in (UserFactory(), AnonymousUser()):
        with translation.override("en"), pytest.raises(PermissionDenied) as caught:
            require_permission(user, "accounts.view_pii")
        assert caught.value.status == 403
        assert caught.value.as_dict() == {
            "code": "permission_denied",
            "message": "You do not have permission to do that.",
        }


@pytest.mark.parametrize(
    ("error_class", "status", "code"),
    [
        (DomainError, 400, "invalid"),
        (ValidationFailed, 400, "invalid"),
        (NotAuthenticated, 401, "not_authenticated"),
        (PermissionDenied, 403, "permission_denied"),
        (NotFound, 404, "not_found"),
        (Conflict, 409, "conflict"),
    ],
)
def test_each_error_class_has_its_status_and_default_code(error_class, status, code):
    error = error_class("Nope.")
    assert (error.status, error.code, str(error)) == (status, code, "Nope.")
    assert error.as_dict() == {"code": code, "message": "Nope."}


def test_an_error_can_name_its_code_field_and_extras():
    error = Conflict("Sold out.", code="out_of_stock", field="sku", extra={"available": 0})
    assert error.as_dict() == {
        "code": "out_of_stock",
        "message": "Sold out.",
        "field": "sku",
        "available": 0,
    }
    # the class default is untouched by an instance's own code
    assert Conflict("x").code == "conflict"


def test_rate_limited_carries_retry_after():
    error = RateLimited("Slow down.", retry_after=30, field="phone")
    assert error.retry_after == 30
    assert error.as_dict() == {
        "code": "rate_limited",
        "message": "Slow down.",
        "field": "phone",
        "retry_after": 30,
    }


class SignupForm(forms.Form):
    email = forms.EmailField()
    nickname = forms.CharField()


def test_form_error_attaches_to_the_named_field():
    form = SignupForm(data={"email": "a@example.com", "nickname": "a"})
    assert form.is_valid()

    form_error(form, Conflict("Email taken.", field="email"))

    assert form.errors == {"email": ["Email taken."]}


def test_form_error_follows_aliases_and_falls_back_to_the_whole_form():
    aliased = SignupForm(data={"email": "a@example.com", "nickname": "a"})
    aliased.is_valid()
    form_error(aliased, ValidationFailed("Too long.", field="name"), aliases={"name": "nickname"})
    assert aliased.errors == {"nickname": ["Too long."]}

    unknown = SignupForm(data={"email": "a@example.com", "nickname": "a"})
    unknown.is_valid()
    form_error(unknown, ValidationFailed("Try later.", field="phone"))
    form_error(unknown, ValidationFailed("Also this."))
    assert unknown.non_field_errors() == ["Try later.", "Also this."]
