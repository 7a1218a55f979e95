"""PII at rest: ciphertext in the columns, plaintext in Python, rotation, keyed lookups, masks."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from circlemart.accounts.models import Address, User
from circlemart.core.crypto import decrypt, encrypt, lookup_digest, mask_phone, mask_text
from tests.accounts.factories import AddressFactory, UserFactory

PHONE = "+8613812345678"


def raw_column(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_a_users_phone_is_stored_as_ciphertext():
    user = UserFactory.with_phone(PHONE)

    stored = raw_column("accounts_user", "phone", user.pk)

    assert stored != PHONE
    assert "13812345678" not in stored
    assert stored.startswith("gAAAAA")  # a Fernet token
    assert decrypt(stored) == PHONE
    assert User.objects.get(pk=user.pk).phone == PHONE


@pytest.mark.django_db
def test_a_blank_phone_stays_blank():
    user = UserFactory()
    assert raw_column("accounts_user", "phone", user.pk) == ""
    assert User.objects.get(pk=user.pk).phone == ""


@pytest.mark.django_db
def test_address_fields_are_stored_as_ciphertext():
    address = AddressFactory(recipient="张三", phone="+8613800138000", detail="世纪大道 100 号")

    for column, plaintext in [
        ("recipient", "张三"),
        ("phone", "+8613800138000"),
        ("detail", "世纪大道 100 号"),
    ]:
        stored = raw_column("accounts_address", column, address.pk)
        assert stored != plaintext
        assert stored.startswith("gAAAAA")
        assert decrypt(stored) == plaintext
    # the parts of an address that are not personal stay readable for reports
    assert raw_column("accounts_address", "city", address.pk) == "上海市"

    reloaded = Address.objects.get(pk=address.pk)
    assert (reloaded.recipient, reloaded.phone, reloaded.detail) == (
        "张三",
        "+8613800138000",
        "世纪大道 100 号",
    )


def test_encrypting_twice_gives_different_ciphertexts_that_both_decrypt():
    first, second = encrypt(PHONE), encrypt(PHONE)
    assert first != second
    assert decrypt(first) == decrypt(second) == PHONE


def test_unicode_round_trips():
    assert decrypt(encrypt("上海市浦东新区 🏠")) == "上海市浦东新区 🏠"


def test_a_token_under_an_unknown_key_cannot_be_read():
    foreign = Fernet(Fernet.generate_key()).encrypt(b"secret").decode()
    with pytest.raises(ValueError, match=r"wrong FIELD_ENCRYPTION_KEYS\?$"):
        decrypt(foreign)


@pytest.mark.django_db
def test_key_rotation_keeps_old_rows_readable_and_encrypts_with_the_new_key(settings):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    user = UserFactory.with_phone(PHONE)
    old_ciphertext = raw_column("accounts_user", "phone", user.pk)

    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]

    reloaded = User.objects.get(pk=user.pk)
    assert reloaded.phone == PHONE
    reloaded.save(update_fields=["phone"])  # re-encrypts under the first key
    new_ciphertext = raw_column("accounts_user", "phone", user.pk)
    assert new_ciphertext != old_ciphertext
    assert Fernet(new_key.encode()).decrypt(new_ciphertext.encode()).decode() == PHONE

    # once every row is re-encrypted the old key can go
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert User.objects.get(pk=user.pk).phone == PHONE
    assert decrypt(new_ciphertext) == PHONE
    with pytest.raises(ValueError, match=r"^cannot decrypt a PII column"):
        decrypt(old_ciphertext)


@pytest.mark.django_db
def test_a_row_under_a_retired_key_fails_loudly(settings):
    user = UserFactory.with_phone(PHONE)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ValueError, match=r"^cannot decrypt a PII column"):
        User.objects.get(pk=user.pk)


def test_lookup_digest_is_a_deterministic_keyed_hash(settings):
    digest = lookup_digest(PHONE)

    assert digest == lookup_digest(PHONE)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert digest != lookup_digest("+8613812345679")
    assert digest != hashlib.sha256(PHONE.encode()).hexdigest()  # keyed, not guessable
    assert (
        digest
        == hmac.new(settings.PII_LOOKUP_KEY.encode(), PHONE.encode(), hashlib.sha256).hexdigest()
    )

    settings.PII_LOOKUP_KEY = "another-key"
    assert lookup_digest(PHONE) != digest


@pytest.mark.django_db
def test_the_digest_finds_an_encrypted_phone():
    user = UserFactory.with_phone(PHONE)
    assert User.objects.get(phone_digest=lookup_digest(PHONE)) == user


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+8613812345678", "+86138****5678"),
        ("13812345678", "138****5678"),
        ("12345678", "****5678"),
        ("1234567", "*******"),
        ("", ""),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("text", "visible", "masked"),
    [
        ("张三丰", 1, "张**"),
        ("张", 1, "*"),
        ("", 1, ""),
        ("Alexander Hamilton", 1, "A******"),
        ("Alexander", 2, "Al******"),
    ],
)
def test_mask_text(text, visible, masked):
    assert mask_text(text, visible) == masked


@pytest.mark.django_db
def test_the_user_exposes_only_a_masked_phone():
    assert UserFactory.with_phone(PHONE).masked_phone == "+86138****5678"
    assert UserFactory().masked_phone == ""


def test_a_nickname_is_masked_without_its_length() -> None:
    from circlemart.core.crypto import mask_nickname

    assert mask_nickname("张三丰") == "张***"
    assert mask_nickname("Newfriend") == "N***"
    assert mask_nickname("") == "***"
