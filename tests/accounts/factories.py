"""Factories for accounts tests."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth.hashers import make_password

from circlemart.accounts.models import Address, User
from circlemart.core.crypto import lookup_digest

PASSWORD = "a-Strong-passw0rd"
_password_hash: str | None = None


def password_hash() -> str:
    global _password_hash
    if _password_hash is None:
        _password_hash = make_password(PASSWORD)
    return _password_hash


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    nickname = factory.Sequence(lambda n: f"user{n}")
    password = factory.LazyFunction(password_hash)

    @classmethod
    def with_phone(cls, phone: str, **kwargs: Any) -> User:
        return cls(phone=phone, phone_digest=lookup_digest(phone), **kwargs)


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    user = factory.SubFactory(UserFactory)
    recipient = "张三"
    phone = "+8613800138000"
    province = "上海市"
    city = "上海市"
    district = "浦东新区"
    detail = "世纪大道 100 号"
