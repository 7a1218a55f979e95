"""accounts services, called directly."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.cache import cache
from django.utils import translation

from circlemart.accounts import selectors, services
from circlemart.accounts.contracts import Role
from circlemart.accounts.models import Address, ApiToken, OneTimeCode, User
from circlemart.accounts.signin.challenge import ChallengeRequired
from circlemart.core import clock
from circlemart.core.crypto import lookup_digest
from circlemart.core.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from circlemart.core.events import relay_pending
from circlemart.core.models import OutboxEvent
from tests.accounts.factories import PASSWORD, AddressFactory, UserFactory

pytestmark = pytest.mark.django_db
IP = "203.0.113.7"
STRONG = "blue-Harbor-42-lantern"


def address_input(**overrides: object) -> services.AddressInput:
    values: dict[str, object] = {
        "recipient": "李雷",
        "phone": "13800138000",
        "province": "广东省",
        "city": "深圳市",
        "district": "南山区",
        "detail": "科技园 1 号",
    }
    values.update(overrides)
    return services.AddressInput(**values)  # type: ignore[arg-type]


class TestRegisterWithEmail:
    def test_creates_user_with_argon2id_hash_and_publishes_event(self):
        user = services.user_register_with_email(
            email="  Alice@Example.COM ", password=STRONG, nickname="爱丽丝"
        )
        assert user.email == "alice@example.com"
        assert user.nickname == "爱丽丝"
        assert user.password.startswith("argon2$argon2id$")
        assert user.check_password(STRONG)
        event = OutboxEvent.objects.get()
        assert event.event_type == "accounts.UserRegistered"
        assert event.aggregate_id == str(user.pk)
        assert event.payload["method"] == "email"

    def test_nickname_defaults_to_a_neutral_name_not_the_email(self):
        with translation.override("zh-hans"):
            first = services.user_register_with_email(
                email="bob.smith@example.com", password=STRONG
            )
            second = services.user_register_with_email(
                email="bob.smith@example.org", password=STRONG
            )
        assert re.fullmatch(r"用户[2-9a-hjkmnp-z]{8}", first.nickname), first.nickname
        assert re.fullmatch(r"用户[2-9a-hjkmnp-z]{8}", second.nickname), second.nickname
        assert first.nickname != second.nickname
        assert User.objects.get(pk=first.pk).nickname == first.nickname

    def test_neutral_nickname_follows_the_language(self):
        with translation.override("en"):
            user = services.user_register_with_email(email="bob@example.com", password=STRONG)
        assert re.fullmatch(r"User [2-9a-hjkmnp-z]{8}", user.nickname), user.nickname

    def test_taken_email_is_a_conflict_in_any_case(self):
        UserFactory(email="taken@example.com")
        with pytest.raises(Conflict) as caught:
            services.user_register_with_email(email="TAKEN@example.com", password=STRONG)
        assert caught.value.code == "email_taken"
        assert caught.value.field == "email"
        assert caught.value.status == 409
        assert User.objects.count() == 1
        assert OutboxEvent.objects.count() == 0

    @pytest.mark.parametrize(
        ("email", "password", "field", "code"),
        [
            ("", STRONG, "email", "required"),
            ("not-an-email", STRONG, "email", "invalid_email"),
            ("a@example.com", "", "password", "required"),
            ("a@example.com", "short", "password", "weak_password"),
            ("a@example.com", "12345678901", "password", "weak_password"),
            ("a@example.com", "password123", "password", "weak_password"),
        ],
    )
    def test_bad_input_names_the_field_and_creates_nothing(self, email, password, field, code):
        with pytest.raises(ValidationFailed) as caught:
            services.user_register_with_email(email=email, password=password)
        assert (caught.value.field, caught.value.code) == (field, code)
        assert User.objects.count() == 0
        assert OutboxEvent.objects.count() == 0

    def test_markup_in_nickname_is_refused(self):
        with pytest.raises(ValidationFailed) as caught:
            services.user_register_with_email(
                email="x@example.com", password=STRONG, nickname="<script>"
            )
        assert caught.value.field == "nickname"
        assert User.objects.count() == 0


class TestPasswordSignIn:
    def test_right_password_signs_in(self):
        user = UserFactory(email="carol@example.com")
        signed_in = services.user_authenticate_password(
            email="Carol@example.com", password=PASSWORD, ip=IP
        )
        assert signed_in.pk == user.pk
        user.refresh_from_db()
        assert user.last_login is not None

    def test_unknown_email_and_wrong_password_get_the_same_answer(self):
        UserFactory(email="dave@example.com")
        with pytest.raises(NotAuthenticated) as unknown:
            services.user_authenticate_password(email="nobody@example.com", password="x", ip=IP)
        with pytest.raises(NotAuthenticated) as wrong:
            services.user_authenticate_password(email="dave@example.com", password="x", ip=IP)
        assert unknown.value.code == wrong.value.code == "invalid_credentials"
        assert str(unknown.value.message) == str(wrong.value.message)
        assert unknown.value.as_dict() == wrong.value.as_dict()

    def test_past_the_limit_one_client_needs_a_step_up_and_the_owner_elsewhere_does_not(
        self, settings
    ):
        """Replaces the old lock-out test: five failures no longer lock the account."""
        settings.LOGIN_STEP_UP_AFTER_FAILURES = 5
        user = UserFactory(email="eve@example.com")
        for _ in range(5):
            with pytest.raises(NotAuthenticated) as wrong:
                services.user_authenticate_password(email=user.email, password="nope", ip=IP)
            assert wrong.value.code == "invalid_credentials"
        with pytest.raises(ChallengeRequired) as stepped_up:
            services.user_authenticate_password(email=user.email, password=PASSWORD, ip=IP)
        assert stepped_up.value.status == 401
        assert stepped_up.value.code == "challenge_required"
        assert User.objects.get(pk=user.pk).last_login is None
        owner = services.user_authenticate_password(
            email=user.email, password=PASSWORD, ip="198.51.100.20"
        )
        assert owner.pk == user.pk

    def test_the_failure_window_expires(self, settings):
        settings.LOGIN_STEP_UP_AFTER_FAILURES = 2
        settings.LOGIN_FAILURE_WINDOW_SECONDS = 1
        user = UserFactory(email="fay@example.com")
        for _ in range(2):
            with pytest.raises(NotAuthenticated):
                services.user_authenticate_password(email=user.email, password="nope", ip=IP)
        with pytest.raises(ChallengeRequired):
            services.user_authenticate_password(email=user.email, password=PASSWORD, ip=IP)
        time.sleep(1.1)
        assert services.user_authenticate_password(email=user.email, password=PASSWORD, ip=IP)

    def test_inactive_account_cannot_sign_in(self):
        user = UserFactory(email="gone@example.com", is_active=False)
        with pytest.raises(NotAuthenticated) as refused:
            services.user_authenticate_password(email=user.email, password=PASSWORD, ip=IP)
        assert refused.value.code == "invalid_credentials"

    def test_one_address_probing_many_accounts_needs_a_step_up_then_is_throttled(self, settings):
        settings.LOGIN_STEP_UP_CLIENT_FAILURES = 20
        settings.LOGIN_CLIENT_ATTEMPTS = 30
        codes = []
        for attempt in range(30):
            with pytest.raises(NotAuthenticated) as refused:
                services.user_authenticate_password(
                    email=f"probe{attempt}@example.com", password="x", ip=IP
                )
            codes.append(refused.value.code)
        assert codes == ["invalid_credentials"] * 20 + ["challenge_required"] * 10
        with pytest.raises(RateLimited):
            services.user_authenticate_password(email="probe@example.com", password="x", ip=IP)
        other = services.user_authenticate_password(
            email=UserFactory().email, password=PASSWORD, ip="198.51.100.21"
        )
        assert other.pk


def sent_code(sent_sms: list[tuple[str, str]]) -> str:
    found = re.search(r"(?<!\d)(\d{6})(?!\d)", sent_sms[-1][1])
    assert found, sent_sms[-1][1]
    return found.group(1)


class TestPhoneCode:
    def test_request_texts_a_six_digit_code_to_the_normalised_number(self, sent_sms):
        sent = services.otp_request(phone="138 0013 8000", ip=IP)
        assert sent.expires_in == 300
        assert [phone for phone, _ in sent_sms] == ["+8613800138000"]
        assert len(sent_code(sent_sms)) == 6
        row = OneTimeCode.objects.get()
        assert row.phone_digest == lookup_digest("+8613800138000")
        assert sent_code(sent_sms) not in row.code_digest

    def test_malformed_phone_is_refused_without_sending(self, sent_sms):
        with pytest.raises(ValidationFailed) as caught:
            services.otp_request(phone="12345", ip=IP)
        assert (caught.value.field, caught.value.code) == ("phone", "invalid_phone")
        assert sent_sms == []
        assert OneTimeCode.objects.count() == 0

    def test_second_request_within_a_minute_is_throttled(self, sent_sms):
        services.otp_request(phone="13800138000", ip=IP)
        with pytest.raises(RateLimited) as caught:
            services.otp_request(phone="13800138000", ip=IP)
        assert caught.value.field == "phone"
        assert len(sent_sms) == 1

    def test_first_verify_creates_the_account_then_signs_it_in(self, sent_sms):
        services.otp_request(phone="13800138000", ip=IP)
        with translation.override("zh-hans"):
            user, created = services.user_login_with_otp(
                phone="+86 138 0013 8000", code=sent_code(sent_sms), ip=IP
            )
        assert created is True
        assert user.phone == "+8613800138000"
        assert re.fullmatch(r"用户[2-9a-hjkmnp-z]{8}", user.nickname), user.nickname
        assert not user.has_usable_password()
        assert OutboxEvent.objects.filter(event_type="accounts.UserRegistered").count() == 1

        cache.clear()  # lift the one-code-a-minute limit
        services.otp_request(phone="13800138000", ip=IP)
        again, created_again = services.user_login_with_otp(
            phone="13800138000", code=sent_code(sent_sms), ip=IP
        )
        assert (again.pk, created_again) == (user.pk, False)

    def test_code_is_single_use(self, sent_sms):
        services.otp_request(phone="13800138000", ip=IP)
        code = sent_code(sent_sms)
        services.user_login_with_otp(phone="13800138000", code=code, ip=IP)
        with pytest.raises(ValidationFailed) as caught:
            services.user_login_with_otp(phone="13800138000", code=code, ip=IP)
        assert caught.value.code == "code_expired"

    def test_wrong_codes_burn_the_code_after_five_attempts(self, sent_sms):
        services.otp_request(phone="13800138000", ip=IP)
        code = sent_code(sent_sms)
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(5):
            with pytest.raises(ValidationFailed) as caught:
                services.user_login_with_otp(phone="13800138000", code=wrong, ip=IP)
            assert caught.value.code == "code_invalid"
        with pytest.raises(ValidationFailed) as caught:
            services.user_login_with_otp(phone="13800138000", code=code, ip=IP)
        assert caught.value.code == "code_expired"
        assert User.objects.count() == 0

    def test_expired_code_is_refused(self, sent_sms):
        services.otp_request(phone="13800138000", ip=IP)
        OneTimeCode.objects.update(expires_at=clock.now() - timedelta(seconds=1))
        with pytest.raises(ValidationFailed) as caught:
            services.user_login_with_otp(phone="13800138000", code=sent_code(sent_sms), ip=IP)
        assert caught.value.code == "code_expired"

    def test_a_new_code_replaces_the_old_one(self, sent_sms):
        services.otp_request(phone="13800138000", ip=IP)
        first = sent_code(sent_sms)
        cache.clear()
        services.otp_request(phone="13800138000", ip=IP)
        second = sent_code(sent_sms)
        if first != second:
            with pytest.raises(ValidationFailed):
                services.user_login_with_otp(phone="13800138000", code=first, ip=IP)
        user, _ = services.user_login_with_otp(phone="13800138000", code=second, ip=IP)
        assert user.phone == "+8613800138000"


class TestTokens:
    def test_access_token_finds_its_user_and_only_the_digest_is_stored(self):
        user = UserFactory()
        pair = services.token_pair_issue(user=user)
        assert selectors.user_by_access_token(pair.access_token) == user
        stored = set(ApiToken.objects.values_list("digest", flat=True))
        assert pair.access_token not in stored
        assert services.token_digest(pair.access_token) in stored

    def test_expired_or_refresh_token_is_not_an_access_token(self):
        user = UserFactory()
        pair = services.token_pair_issue(user=user)
        assert selectors.user_by_access_token(pair.refresh_token) is None
        ApiToken.objects.update(expires_at=clock.now() - timedelta(seconds=1))
        assert selectors.user_by_access_token(pair.access_token) is None

    def test_refresh_rotates_and_reuse_revokes_the_family(self):
        user = UserFactory()
        first = services.token_pair_issue(user=user)
        second = services.token_refresh(refresh_token=first.refresh_token)
        assert selectors.user_by_access_token(second.access_token) == user
        with pytest.raises(NotAuthenticated) as caught:
            services.token_refresh(refresh_token=first.refresh_token)
        assert caught.value.code == "token_reused"
        assert selectors.user_by_access_token(second.access_token) is None
        with pytest.raises(NotAuthenticated):
            services.token_refresh(refresh_token=second.refresh_token)

    def test_garbage_refresh_token(self):
        with pytest.raises(NotAuthenticated) as caught:
            services.token_refresh(refresh_token="cmr_nonsense")
        assert caught.value.code == "token_invalid"

    def test_logout_everywhere_kills_every_token_and_session_hash(self):
        user = UserFactory()
        pairs = [services.token_pair_issue(user=user) for _ in range(3)]
        session_hash = user.get_session_auth_hash()
        services.user_logout_everywhere(user=user)
        user.refresh_from_db()
        assert user.get_session_auth_hash() != session_hash
        assert all(selectors.user_by_access_token(p.access_token) is None for p in pairs)
        assert ApiToken.objects.filter(revoked_at__isnull=True).count() == 0
        with pytest.raises(NotAuthenticated):
            services.token_refresh(refresh_token=pairs[0].refresh_token)

    def test_cannot_revoke_someone_elses_token(self):
        owner, other = UserFactory(), UserFactory()
        pair = services.token_pair_issue(user=owner)
        with pytest.raises(NotFound):
            services.token_revoke(user=other, token=pair.access_token)
        assert selectors.user_by_access_token(pair.access_token) == owner


class TestPasswords:
    def test_change_needs_the_current_password(self):
        user = UserFactory()
        with pytest.raises(ValidationFailed) as caught:
            services.password_change(user=user, old_password="wrong", new_password=STRONG)
        assert caught.value.field == "old_password"
        user.refresh_from_db()
        assert user.check_password(PASSWORD)

    def test_change_revokes_api_tokens(self):
        user = UserFactory()
        pair = services.token_pair_issue(user=user)
        services.password_change(user=user, old_password=PASSWORD, new_password=STRONG)
        user.refresh_from_db()
        assert user.check_password(STRONG)
        assert selectors.user_by_access_token(pair.access_token) is None

    def test_weak_new_password_is_named(self):
        user = UserFactory()
        with pytest.raises(ValidationFailed) as caught:
            services.password_change(user=user, old_password=PASSWORD, new_password="123")
        assert caught.value.field == "new_password"

    def test_reset_link_works_once(self):
        user = UserFactory(email="reset@example.com")
        services.password_reset_request(email="Reset@example.com", ip=IP)
        assert len(mail.outbox) == 1
        link = next(line for line in mail.outbox[0].body.splitlines() if "/password/reset/" in line)
        uid, token = link.rstrip("/").split("/")[-2:]
        services.password_reset_confirm(uidb64=uid, token=token, new_password=STRONG)
        user.refresh_from_db()
        assert user.check_password(STRONG)
        with pytest.raises(ValidationFailed) as caught:
            services.password_reset_confirm(uidb64=uid, token=token, new_password="Other-pass-99")
        assert caught.value.code == "reset_link_invalid"

    def test_reset_for_unknown_email_sends_nothing_and_says_nothing(self):
        services.password_reset_request(email="ghost@example.com", ip=IP)
        assert mail.outbox == []

    @pytest.mark.parametrize("uid", ["", "!!!", "MTIzNDU2Nzg5"])
    def test_bad_reset_links(self, uid):
        with pytest.raises(ValidationFailed):
            services.password_reset_user(uidb64=uid, token="abc-def")


class TestProfile:
    def test_updates_only_given_fields(self):
        user = UserFactory(nickname="old", city="北京")
        services.profile_update(
            user=user, bio="热爱生活\n也爱咖啡", interests=["咖啡", "咖啡", "露营"]
        )
        user.refresh_from_db()
        assert (user.nickname, user.city) == ("old", "北京")
        assert user.bio == "热爱生活\n也爱咖啡"
        assert user.interests == ["咖啡", "露营"]

    def test_validates_everything_before_writing_anything(self):
        user = UserFactory(nickname="keep")
        with pytest.raises(ValidationFailed) as caught:
            services.profile_update(user=user, nickname="new", gender="unicorn")
        assert caught.value.field == "gender"
        user.refresh_from_db()
        assert user.nickname == "keep"

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"nickname": ""}, "nickname"),
            ({"nickname": "x" * 31}, "nickname"),
            ({"bio": "b" * 201}, "bio"),
            ({"interests": [f"t{i}" for i in range(11)]}, "interests"),
            ({"age_range": "99"}, "age_range"),
        ],
    )
    def test_refusals_name_the_field(self, changes, field):
        user = UserFactory()
        with pytest.raises(ValidationFailed) as caught:
            services.profile_update(user=user, **changes)
        assert caught.value.field == field


class TestAddresses:
    def test_first_address_becomes_default_and_pii_is_readable(self):
        user = UserFactory()
        address = services.address_create(user=user, data=address_input())
        assert address.is_default is True
        stored = Address.objects.get(pk=address.pk)
        assert (stored.recipient, stored.phone, stored.detail) == (
            "李雷",
            "+8613800138000",
            "科技园 1 号",
        )

    def test_new_default_moves_the_flag(self):
        user = UserFactory()
        first = services.address_create(user=user, data=address_input())
        second = services.address_create(user=user, data=address_input(is_default=True))
        assert list(Address.objects.filter(is_default=True).values_list("pk", flat=True)) == [
            second.pk
        ]
        services.address_set_default(user=user, address_id=first.pk)
        assert Address.objects.get(is_default=True).pk == first.pk

    def test_deleting_the_default_promotes_the_newest(self):
        user = UserFactory()
        first = services.address_create(user=user, data=address_input())
        second = services.address_create(user=user, data=address_input(label="公司"))
        third = services.address_create(user=user, data=address_input(label="家"))
        services.address_delete(user=user, address_id=first.pk)
        assert Address.objects.get(is_default=True).pk == third.pk
        assert Address.objects.filter(pk=second.pk, is_default=False).exists()

    def test_someone_elses_address_is_not_found(self):
        owner, intruder = UserFactory(), UserFactory()
        address = AddressFactory(user=owner, is_default=True)
        for action in (
            lambda: services.address_delete(user=intruder, address_id=address.pk),
            lambda: services.address_set_default(user=intruder, address_id=address.pk),
            lambda: services.address_update(
                user=intruder, address_id=address.pk, data=address_input()
            ),
        ):
            with pytest.raises(NotFound):
                action()
        assert Address.objects.get(pk=address.pk).recipient == "张三"
        assert selectors.address_of(intruder, address.pk) is None

    def test_bad_phone_creates_nothing(self):
        user = UserFactory()
        with pytest.raises(ValidationFailed) as caught:
            services.address_create(user=user, data=address_input(phone="abc"))
        assert caught.value.field == "phone"
        assert Address.objects.count() == 0

    def test_at_most_twenty(self):
        user = UserFactory()
        for _ in range(20):
            services.address_create(user=user, data=address_input())
        with pytest.raises(ValidationFailed) as caught:
            services.address_create(user=user, data=address_input())
        assert caught.value.code == "address_limit"
        assert Address.objects.filter(user=user).count() == 20


class TestRoles:
    @pytest.fixture
    def admin(self):
        admin = UserFactory(is_superuser=True, is_staff=True)
        admin.groups.add(Group.objects.get(name="admin"))
        return admin

    def test_back_office_role_grants_staff_and_its_permissions(self, admin):
        user = UserFactory()
        services.role_grant(actor=admin, user=user, role=Role.MERCHANT_STAFF)
        user = User.objects.get(pk=user.pk)
        assert user.is_staff is True
        assert user.is_superuser is False
        assert user.has_perm("accounts.view_user")
        assert not user.has_perm("accounts.view_pii")
        assert selectors.user_roles(user) == [Role.SHOPPER, Role.MERCHANT_STAFF]
        services.role_revoke(actor=admin, user=user, role=Role.MERCHANT_STAFF)
        user = User.objects.get(pk=user.pk)
        assert user.is_staff is False
        assert not user.has_perm("accounts.view_user")

    def test_creator_is_not_back_office(self, admin):
        user = UserFactory()
        services.role_grant(actor=admin, user=user, role=Role.CREATOR)
        user.refresh_from_db()
        assert user.is_staff is False
        assert selectors.user_has_role(user, Role.CREATOR)

    def test_admin_role_is_superuser(self, admin):
        user = UserFactory()
        services.role_grant(actor=admin, user=user, role=Role.ADMIN)
        user = User.objects.get(pk=user.pk)
        assert user.is_superuser
        assert user.is_staff
        assert user.has_perm("accounts.view_pii")

    def test_only_admins_change_roles(self):
        actor, user = UserFactory(is_staff=True), UserFactory()
        with pytest.raises(PermissionDenied):
            services.role_grant(actor=actor, user=user, role=Role.MODERATOR)
        assert not user.groups.exists()

    def test_admin_cannot_demote_themself(self, admin):
        with pytest.raises(Conflict):
            services.role_revoke(actor=admin, user=admin, role=Role.ADMIN)


class TestWelcomeEmail:
    def test_relay_sends_one_welcome_email_even_if_redelivered(self):
        user = services.user_register_with_email(email="new@example.com", password=STRONG)
        assert relay_pending() == 1
        assert [message.to for message in mail.outbox] == [["new@example.com"]]
        assert user.nickname in mail.outbox[0].body
        OutboxEvent.objects.update(status=OutboxEvent.Status.PENDING)
        assert relay_pending() == 1
        assert len(mail.outbox) == 1


def test_admin_account_ensure_creates_then_resets():
    admin = services.admin_account_ensure(email="root@example.com", password=STRONG)
    assert admin.is_superuser
    assert admin.is_staff
    again = services.admin_account_ensure(email="root@example.com", password="Another-pass-77")
    assert again.pk == admin.pk
    again.refresh_from_db()
    assert again.check_password("Another-pass-77")
    assert User.objects.count() == 1
