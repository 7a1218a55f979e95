"""Accounts pages through Django's test client: what the shopper sees, and what changed."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from circlemart.accounts.models import Address, User
from circlemart.core.crypto import lookup_digest
from tests.accounts.factories import PASSWORD, AddressFactory, UserFactory
from tests.html_page import field_errors, flash_messages, visible_text

pytestmark = pytest.mark.django_db

STRONG = "blue-Harbor-42-lantern"
NEW_PASSWORD = "quiet-Meadow-77-kettle"
SIGNUP = reverse("accounts:signup")
LOGIN = reverse("accounts:login")
PROFILE = reverse("accounts:profile")
PROFILE_EDIT = reverse("accounts:profile-edit")
PHONE_LOGIN = reverse("accounts:phone-login")
PHONE_CODE = reverse("accounts:phone-code")
ADDRESSES = reverse("accounts:addresses")


def signed_in_user_id(client: Client) -> int | None:
    raw = client.session.get("_auth_user_id")
    return int(raw) if raw is not None else None


def in_english(client: Client, how: str) -> Client:
    """The two ways a browser asks for English: the language cookie or Accept-Language."""
    if how == "cookie":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client
    return Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")


def image_upload(
    name: str = "me.png", image_format: str = "PNG", size: tuple[int, int] = (800, 600)
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (255, 36, 66)).save(buffer, format=image_format)
    content_type = f"image/{image_format.lower()}"
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


def noise_png(side: int) -> SimpleUploadedFile:
    """Random pixels do not compress: a PNG of about side² × 3 bytes."""
    picture = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return SimpleUploadedFile("big.png", buffer.getvalue(), content_type="image/png")


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


# --- Sign-up ---------------------------------------------------------------------------------


class TestSignup:
    def test_success_signs_in_and_lands_on_the_profile(self, client: Client) -> None:
        response = client.post(
            SIGNUP, {"email": " Xiao.Ming@Example.COM ", "nickname": "小明", "password": STRONG}
        )

        assert response.status_code == 302
        assert response["Location"] == PROFILE
        user = User.objects.get()
        assert user.email == "xiao.ming@example.com"
        assert user.nickname == "小明"
        assert user.password.startswith("argon2$argon2id$")
        assert user.check_password(STRONG)
        assert signed_in_user_id(client) == user.pk
        page = client.get(PROFILE)
        assert page.status_code == 200
        assert flash_messages(page) == ["欢迎加入 Circlemart！"]
        assert "小明" in visible_text(page)

    def test_nickname_defaults_to_a_neutral_name_not_the_email(self, client: Client) -> None:
        client.post(SIGNUP, {"email": "lin.fang@example.com", "nickname": "", "password": STRONG})

        nickname = User.objects.get().nickname
        assert re.fullmatch(r"用户[2-9a-hjkmnp-z]{8}", nickname), nickname
        page = visible_text(client.get(PROFILE))
        assert nickname in page
        assert "lin.fang" not in page.replace("lin.fang@example.com", "")

    @pytest.mark.parametrize(
        ("form", "zh_errors", "en_errors"),
        [
            pytest.param(
                {"email": "Taken@Example.com", "nickname": "", "password": STRONG},
                {"email": ["该邮箱已被注册。"]},
                {"email": ["An account with this email already exists."]},
                id="taken-email",
            ),
            pytest.param(
                {"email": "new@example.com", "nickname": "", "password": "Zq9!x"},
                {"password": ["密码太短，至少需要 8 个字符。"]},
                {
                    "password": [
                        "This password is too short. It must contain at least 8 characters."
                    ]
                },
                id="short-password",
            ),
            pytest.param(
                {"email": "new@example.com", "nickname": "", "password": "12345678"},
                {"password": ["这个密码太常见了。 密码只包含数字。"]},
                {"password": ["This password is too common. This password is entirely numeric."]},
                id="common-numeric-password",
            ),
            pytest.param(
                {"email": "not-an-email", "nickname": "", "password": STRONG},
                {"email": ["请输入有效的邮箱地址。"]},
                {"email": ["Enter a valid email address."]},
                id="malformed-email",
            ),
            pytest.param(
                {"email": "", "nickname": "", "password": ""},
                {"email": ["这个字段是必填项。"], "password": ["这个字段是必填项。"]},
                {"email": ["This field is required."], "password": ["This field is required."]},
                id="missing-fields",
            ),
        ],
    )
    @pytest.mark.parametrize("language", ["zh-hans", "en-cookie", "en-header"])
    def test_refusal_is_shown_next_to_the_field_and_creates_nothing(
        self,
        client: Client,
        form: dict[str, str],
        zh_errors: dict[str, list[str]],
        en_errors: dict[str, list[str]],
        language: str,
    ) -> None:
        UserFactory(email="taken@example.com")
        if language != "zh-hans":
            client = in_english(client, language.removeprefix("en-"))

        response = client.post(SIGNUP, form)

        assert response.status_code == 200
        assert response["Content-Language"] == ("zh-hans" if language == "zh-hans" else "en")
        assert field_errors(response) == (zh_errors if language == "zh-hans" else en_errors)
        assert list(User.objects.values_list("email", flat=True)) == ["taken@example.com"]
        assert signed_in_user_id(client) is None

    def test_the_page_keeps_what_was_typed_except_the_password(self, client: Client) -> None:
        response = client.post(
            SIGNUP, {"email": "new@example.com", "nickname": "阿花", "password": "short"}
        )

        html = response.content.decode()
        assert 'value="new@example.com"' in html
        assert 'value="阿花"' in html
        assert 'value="short"' not in html


# --- Password sign-in ------------------------------------------------------------------------


class TestLogin:
    def test_success_signs_in_and_goes_to_the_profile(self, client: Client) -> None:
        user = UserFactory(email="mei@example.com")

        response = client.post(LOGIN, {"email": "MEI@example.com", "password": PASSWORD})

        assert response.status_code == 302
        assert response["Location"] == PROFILE
        assert signed_in_user_id(client) == user.pk

    def test_wrong_password_is_refused_on_the_page(self, client: Client) -> None:
        user = UserFactory(email="mei@example.com")

        response = client.post(LOGIN, {"email": "mei@example.com", "password": "not-it-at-all"})

        assert response.status_code == 200
        assert field_errors(response) == {"password": ["邮箱或密码错误。"]}
        assert signed_in_user_id(client) is None
        assert "data-challenge" not in response.content.decode()
        user.refresh_from_db()
        assert user.last_login is None

    def test_unknown_email_gets_the_same_answer_as_a_wrong_password(self, client: Client) -> None:
        response = client.post(LOGIN, {"email": "nobody@example.com", "password": PASSWORD})

        assert field_errors(response) == {"password": ["邮箱或密码错误。"]}

    def test_after_five_wrong_passwords_this_browser_gets_a_security_check_not_a_lock(
        self, client: Client
    ) -> None:
        """Replaces the old lock-out test (the right password was refused for 15 minutes)."""
        user = UserFactory(email="mei@example.com")
        wrong = {"email": "mei@example.com", "password": "guess-Number-1"}
        step_up = {"__all__": ["此设备的登录尝试次数过多。请完成安全验证后重新登录。"]}

        answers = [field_errors(client.post(LOGIN, wrong)) for _ in range(5)]
        right = client.post(LOGIN, {"email": "mei@example.com", "password": PASSWORD})

        assert answers == [{"password": ["邮箱或密码错误。"]}] * 5
        assert right.status_code == 200
        assert field_errors(right) == step_up
        html = right.content.decode()
        assert 'data-challenge="' in html
        assert "/static/accounts/js/challenge.js" in html
        assert signed_in_user_id(client) is None
        elsewhere = Client(REMOTE_ADDR="198.51.100.50")
        owner = elsewhere.post(LOGIN, {"email": "mei@example.com", "password": PASSWORD})
        assert owner["Location"] == PROFILE
        assert signed_in_user_id(elsewhere) == user.pk

    def test_step_up_message_in_english(self, client: Client) -> None:
        UserFactory(email="mei@example.com")
        client = in_english(client, "cookie")
        for _ in range(5):
            client.post(LOGIN, {"email": "mei@example.com", "password": "guess-Number-1"})

        response = client.post(LOGIN, {"email": "mei@example.com", "password": PASSWORD})

        assert field_errors(response) == {
            "__all__": [
                "Too many sign-in attempts from this device. Complete the security check, "
                "then sign in again."
            ]
        }
        assert "Running a quick security check in your browser…" in visible_text(response)

    @pytest.mark.parametrize(
        ("next_url", "landing"),
        [
            ("/accounts/addresses/", "/accounts/addresses/"),
            ("http://testserver/accounts/addresses/", "http://testserver/accounts/addresses/"),
            ("https://evil.example/phish", PROFILE),
            ("//evil.example/phish", PROFILE),
            ("/\\evil.example/phish", PROFILE),
            ("javascript:alert(1)", PROFILE),
        ],
    )
    def test_next_is_honoured_only_on_this_host(
        self, client: Client, next_url: str, landing: str
    ) -> None:
        UserFactory(email="mei@example.com")

        response = client.post(
            LOGIN, {"email": "mei@example.com", "password": PASSWORD, "next": next_url}
        )

        assert response.status_code == 302
        assert response["Location"] == landing

    def test_login_page_carries_only_a_safe_next(self, client: Client) -> None:
        safe = client.get(LOGIN, {"next": "/accounts/addresses/"}).content.decode()
        unsafe = client.get(LOGIN, {"next": "https://evil.example/"}).content.decode()

        assert '<input type="hidden" name="next" value="/accounts/addresses/">' in safe
        assert '<input type="hidden" name="next" value="">' in unsafe

    def test_protected_page_sends_visitors_to_sign_in_and_back(self, client: Client) -> None:
        UserFactory(email="mei@example.com")

        bounced = client.get(ADDRESSES)
        assert bounced.status_code == 302
        assert bounced["Location"] == f"{LOGIN}?next=/accounts/addresses/"

        signed_in = client.post(
            bounced["Location"],
            {"email": "mei@example.com", "password": PASSWORD, "next": "/accounts/addresses/"},
        )
        assert signed_in["Location"] == ADDRESSES

    def test_logout_needs_a_post(self, client: Client) -> None:
        user = UserFactory()
        client.force_login(user)

        assert client.get(reverse("accounts:logout")).status_code == 405
        assert signed_in_user_id(client) == user.pk
        response = client.post(reverse("accounts:logout"))
        assert response.status_code == 302
        assert response["Location"] == reverse("storefront:home")
        assert signed_in_user_id(client) is None


# --- Phone sign-in ---------------------------------------------------------------------------


def sent_code(text: str) -> str:
    codes = re.findall(r"(?<!\d)\d{6}(?!\d)", text)
    assert len(codes) == 1, text
    return codes[0]


class TestPhoneLogin:
    def test_htmx_code_request_answers_with_the_status_line(
        self, client: Client, sent_sms: list[tuple[str, str]]
    ) -> None:
        response = client.post(PHONE_CODE, {"phone": "138 0013 8000"}, HTTP_HX_REQUEST="true")

        assert response.status_code == 200
        assert flash_messages(response) == ["验证码已发送，300 秒内有效。"]
        assert "<html" not in response.content.decode()  # a partial, not a page
        assert len(sent_sms) == 1
        phone, text = sent_sms[0]
        assert phone == "+8613800138000"
        assert text == (
            f"【Circlemart】您的登录验证码是 {sent_code(text)}，5 分钟内有效，请勿泄露给他人。"
        )

    def test_plain_form_code_request_redirects_with_a_message(
        self, client: Client, sent_sms: list[tuple[str, str]]
    ) -> None:
        response = client.post(PHONE_CODE, {"phone": "13800138000"})

        assert response.status_code == 302
        assert response["Location"] == PHONE_LOGIN
        assert flash_messages(client.get(PHONE_LOGIN)) == ["验证码已发送到您的手机。"]
        assert [phone for phone, _ in sent_sms] == ["+8613800138000"]

    def test_code_request_needs_a_post(self, client: Client) -> None:
        assert client.get(PHONE_CODE).status_code == 405

    def test_code_signs_up_a_new_phone(
        self, client: Client, sent_sms: list[tuple[str, str]]
    ) -> None:
        client.post(PHONE_CODE, {"phone": "13800138000"}, HTTP_HX_REQUEST="true")
        code = sent_code(sent_sms[0][1])

        response = client.post(PHONE_LOGIN, {"phone": "13800138000", "code": code})

        assert response.status_code == 302
        assert response["Location"] == PROFILE
        user = User.objects.get()
        assert user.phone == "+8613800138000"
        assert user.phone_digest == lookup_digest("+8613800138000")
        assert user.email is None
        assert not user.has_usable_password()
        assert signed_in_user_id(client) == user.pk
        assert flash_messages(client.get(PROFILE)) == ["欢迎加入 Circlemart！"]

    def test_code_signs_in_the_existing_account_of_the_phone(
        self, client: Client, sent_sms: list[tuple[str, str]]
    ) -> None:
        user = UserFactory.with_phone("+8613900139000")
        client.post(PHONE_CODE, {"phone": "+86 139 0013 9000"}, follow=True)
        code = sent_code(sent_sms[0][1])

        response = client.post(PHONE_LOGIN, {"phone": "13900139000", "code": code})

        assert response["Location"] == PROFILE
        assert signed_in_user_id(client) == user.pk
        assert User.objects.count() == 1
        assert flash_messages(client.get(PROFILE)) == []

    def test_wrong_code_is_refused_next_to_the_code(
        self, client: Client, sent_sms: list[tuple[str, str]]
    ) -> None:
        client.post(PHONE_CODE, {"phone": "13800138000"}, HTTP_HX_REQUEST="true")
        wrong = f"{(int(sent_code(sent_sms[0][1])) + 1) % 1_000_000:06d}"

        response = client.post(PHONE_LOGIN, {"phone": "13800138000", "code": wrong})

        assert response.status_code == 200
        assert field_errors(response) == {"code": ["验证码错误。"]}
        assert User.objects.count() == 0
        assert signed_in_user_id(client) is None

    def test_malformed_phone_is_refused_on_the_sign_in_page(
        self, client: Client, sent_sms: list[tuple[str, str]]
    ) -> None:
        response = client.post(PHONE_LOGIN, {"phone": "12345", "code": "123456"})

        assert response.status_code == 200
        assert field_errors(response) == {"phone": ["请输入有效的手机号码。"]}
        assert User.objects.count() == 0
        assert sent_sms == []

    def test_malformed_phone_is_refused_by_the_htmx_code_request(
        self, client: Client, sent_sms: list[tuple[str, str]]
    ) -> None:
        response = client.post(PHONE_CODE, {"phone": "12345"}, HTTP_HX_REQUEST="true")

        assert response.status_code == 400
        assert flash_messages(response) == ["请输入有效的手机号码。"]
        assert sent_sms == []

    def test_malformed_phone_is_refused_by_the_plain_code_request(
        self, client: Client, sent_sms: list[tuple[str, str]]
    ) -> None:
        client = in_english(client, "cookie")

        response = client.post(PHONE_CODE, {"phone": "not a phone"})

        assert response["Location"] == PHONE_LOGIN
        assert flash_messages(client.get(PHONE_LOGIN)) == ["Enter a valid mobile phone number."]
        assert sent_sms == []

    def test_a_second_code_within_the_minute_is_refused(
        self, client: Client, sent_sms: list[tuple[str, str]]
    ) -> None:
        client.post(PHONE_CODE, {"phone": "13800138000"}, HTTP_HX_REQUEST="true")

        response = client.post(PHONE_CODE, {"phone": "13800138000"}, HTTP_HX_REQUEST="true")

        assert response.status_code == 400
        [message] = flash_messages(response)
        assert re.fullmatch(r"操作过于频繁，请 \d+ 秒后再试。", message)
        assert len(sent_sms) == 1


# --- Profile and avatar ----------------------------------------------------------------------


def profile_form(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "nickname": "新昵称",
        "bio": "热爱露营\n也爱咖啡",
        "city": "杭州",
        "gender": "female",
        "age_range": "25-34",
        "interests": "咖啡，露营, 护肤",
    }
    values.update(overrides)
    return values


class TestProfile:
    def test_edit_page_shows_the_current_values(self, client: Client) -> None:
        user = UserFactory(nickname="阿明", city="成都", interests=["火锅", "徒步"])
        client.force_login(user)

        html = client.get(PROFILE_EDIT).content.decode()

        assert 'value="阿明"' in html
        assert 'value="成都"' in html
        assert 'value="火锅, 徒步"' in html

    def test_edit_saves_every_field(self, client: Client) -> None:
        user = UserFactory(nickname="旧昵称")
        client.force_login(user)

        response = client.post(PROFILE_EDIT, profile_form())

        assert response.status_code == 302
        assert response["Location"] == PROFILE
        user.refresh_from_db()
        assert (user.nickname, user.bio, user.city, user.gender, user.age_range) == (
            "新昵称",
            "热爱露营\n也爱咖啡",
            "杭州",
            "female",
            "25-34",
        )
        assert user.interests == ["咖啡", "露营", "护肤"]
        page = client.get(PROFILE)
        assert flash_messages(page) == ["资料已保存。"]
        text = visible_text(page)
        for shown in ("新昵称", "热爱露营", "也爱咖啡", "杭州", "咖啡", "露营", "护肤"):
            assert shown in text

    def test_profile_names_the_roles_in_words(self, client: Client) -> None:
        client.force_login(UserFactory(city="成都"))

        assert "成都 · 买家" in visible_text(client.get(PROFILE))
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        assert "成都 · Shopper" in visible_text(client.get(PROFILE))

    def test_invalid_nickname_is_refused_next_to_the_field(self, client: Client) -> None:
        user = UserFactory(nickname="旧昵称")
        client.force_login(user)

        response = client.post(PROFILE_EDIT, profile_form(nickname="<b>我</b>"))

        assert field_errors(response) == {"nickname": ["不能包含 < > \" ' ` 或 &。"]}
        user.refresh_from_db()
        assert user.nickname == "旧昵称"
        assert user.city == ""

    def test_edit_needs_a_signed_in_user(self, client: Client) -> None:
        response = client.post(PROFILE_EDIT, profile_form())

        assert response.status_code == 302
        assert response["Location"] == f"{LOGIN}?next={PROFILE_EDIT}"

    @pytest.mark.parametrize("image_format", ["PNG", "JPEG"])
    def test_avatar_is_stored_as_a_512px_webp(
        self, client: Client, media_root: Path, image_format: str
    ) -> None:
        user = UserFactory()
        client.force_login(user)
        upload = image_upload(f"me.{image_format.lower()}", image_format, size=(900, 600))

        response = client.post(PROFILE_EDIT, profile_form(avatar=upload))

        assert response.status_code == 302
        user.refresh_from_db()
        assert user.avatar.name.startswith(f"avatars/{user.pk}/")
        assert user.avatar.name.endswith(".webp")
        assert stored_files(media_root) == [media_root / user.avatar.name]
        with Image.open(media_root / user.avatar.name) as stored:
            assert stored.format == "WEBP"
            assert stored.size == (512, 512)
        page = client.get(PROFILE).content.decode()
        assert f'<img src="{user.avatar.url}" alt="头像" class="avatar large"' in page

    @pytest.mark.parametrize(
        ("make_upload", "message"),
        [
            pytest.param(lambda: noise_png(700), "图片过大（最大 1.0\xa0MB）。", id="oversized"),
            pytest.param(
                lambda: SimpleUploadedFile(
                    "avatar.png", b"%PDF-1.7\n1 0 obj <<>> endobj\n", content_type="image/png"
                ),
                "请上传不超过 4096×4096 像素的 JPEG、PNG、WebP 或 GIF 图片。",
                id="not-an-image",
            ),
        ],
    )
    def test_refused_avatar_changes_nothing_at_all(
        self,
        client: Client,
        media_root: Path,
        settings: Any,
        make_upload: Callable[[], SimpleUploadedFile],
        message: str,
    ) -> None:
        settings.AVATAR_MAX_BYTES = 1024 * 1024
        user = UserFactory(nickname="旧昵称", city="北京")
        client.force_login(user)
        client.post(
            PROFILE_EDIT, profile_form(nickname="旧昵称", city="北京", avatar=image_upload())
        )
        user.refresh_from_db()
        previous_avatar = user.avatar.name
        files_before = stored_files(media_root)

        response = client.post(
            PROFILE_EDIT, profile_form(nickname="想改的昵称", city="上海", avatar=make_upload())
        )

        assert response.status_code == 200
        assert field_errors(response) == {"avatar": [message]}
        user.refresh_from_db()
        assert (user.nickname, user.city, user.avatar.name) == ("旧昵称", "北京", previous_avatar)
        assert stored_files(media_root) == files_before
        # The header still greets the saved nickname, not the refused one.
        assert 'data-testid="nav-profile">旧昵称<' in response.content.decode()


# --- Addresses -------------------------------------------------------------------------------


def address_form(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "recipient": "李雷",
        "phone": "138 0013 8000",
        "province": "广东省",
        "city": "深圳市",
        "district": "南山区",
        "detail": "科技园 1 号",
        "postal_code": "518000",
        "label": "公司",
    }
    values.update(overrides)
    return values


def address_url(name: str, address: Address) -> str:
    return reverse(f"accounts:{name}", args=[address.pk])


def address_row(address: Address) -> tuple[object, ...]:
    address.refresh_from_db()
    return (address.recipient, address.phone, address.city, address.detail, address.is_default)


class TestAddresses:
    def test_first_address_is_saved_as_the_default(self, client: Client) -> None:
        user = UserFactory()
        client.force_login(user)

        response = client.post(ADDRESSES, address_form())

        assert response.status_code == 302
        assert response["Location"] == ADDRESSES
        address = Address.objects.get(user=user)
        assert (address.recipient, address.phone, address.detail, address.is_default) == (
            "李雷",
            "+8613800138000",
            "科技园 1 号",
            True,
        )
        page = client.get(ADDRESSES)
        assert flash_messages(page) == ["地址已保存。"]
        assert "李雷 +8613800138000 默认" in visible_text(page)

    def test_invalid_address_is_refused_next_to_the_field(self, client: Client) -> None:
        user = UserFactory()
        client.force_login(user)

        response = client.post(ADDRESSES, address_form(phone="555"))

        assert field_errors(response) == {"phone": ["请输入有效的手机号码。"]}
        assert Address.objects.count() == 0

    def test_new_default_address_takes_over_the_default(self, client: Client) -> None:
        user = UserFactory()
        first = AddressFactory(user=user, is_default=True)
        client.force_login(user)

        client.post(ADDRESSES, address_form(recipient="韩梅梅", is_default="on"))

        newest = Address.objects.filter(user=user).exclude(pk=first.pk).get()
        assert (newest.recipient, newest.is_default) == ("韩梅梅", True)
        assert address_row(first)[-1] is False

    def test_edit_saves_the_changes(self, client: Client) -> None:
        user = UserFactory()
        address = AddressFactory(user=user, is_default=True)
        client.force_login(user)
        assert (
            'value="世纪大道 100 号"'
            in client.get(address_url("address-edit", address)).content.decode()
        )

        response = client.post(
            address_url("address-edit", address),
            address_form(detail="陆家嘴环路 8 号", is_default="on"),
        )

        assert response["Location"] == ADDRESSES
        assert address_row(address) == ("李雷", "+8613800138000", "深圳市", "陆家嘴环路 8 号", True)

    def test_make_default_and_delete(self, client: Client) -> None:
        user = UserFactory()
        home = AddressFactory(user=user, is_default=True, label="家")
        office = AddressFactory(user=user, is_default=False, label="公司")
        client.force_login(user)

        client.post(address_url("address-default", office))
        assert (address_row(home)[-1], address_row(office)[-1]) == (False, True)

        response = client.post(address_url("address-delete", office))
        assert response["Location"] == ADDRESSES
        assert list(Address.objects.filter(user=user).values_list("pk", "is_default")) == [
            (home.pk, True)
        ]
        assert flash_messages(client.get(ADDRESSES)) == ["地址已删除。"]

    def test_delete_and_default_need_a_post(self, client: Client) -> None:
        user = UserFactory()
        address = AddressFactory(user=user)
        client.force_login(user)

        assert client.get(address_url("address-delete", address)).status_code == 405
        assert client.get(address_url("address-default", address)).status_code == 405
        assert Address.objects.filter(pk=address.pk).exists()

    @pytest.mark.parametrize(
        ("method", "name"),
        [
            ("get", "address-edit"),
            ("post", "address-edit"),
            ("post", "address-delete"),
            ("post", "address-default"),
        ],
    )
    def test_another_users_address_is_not_found(
        self, client: Client, method: str, name: str
    ) -> None:
        owner = UserFactory()
        theirs = AddressFactory(user=owner, is_default=False, recipient="王五")
        AddressFactory(user=owner, is_default=True)
        before = address_row(theirs)
        client.force_login(UserFactory())

        response = getattr(client, method)(
            address_url(name, theirs), address_form(recipient="黑客", is_default="on")
        )

        assert response.status_code == 404
        assert "收货地址不存在。" in visible_text(response)
        assert address_row(theirs) == before
        assert "王五" not in response.content.decode()


# --- Passwords and sessions ------------------------------------------------------------------


class TestPasswordsAndSessions:
    def test_password_change_keeps_this_session_and_ends_the_others(self, client: Client) -> None:
        user = UserFactory(email="mei@example.com")
        other_device = Client()
        assert (
            other_device.post(LOGIN, {"email": "mei@example.com", "password": PASSWORD})["Location"]
            == PROFILE
        )
        client.post(LOGIN, {"email": "mei@example.com", "password": PASSWORD})

        response = client.post(
            reverse("accounts:password-change"),
            {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
        )

        assert response["Location"] == PROFILE
        page = client.get(PROFILE)
        assert page.status_code == 200
        assert flash_messages(page) == ["密码已修改，其他设备已退出登录。"]
        bounced = other_device.get(PROFILE)
        assert bounced.status_code == 302
        assert bounced["Location"] == f"{LOGIN}?next={PROFILE}"
        user.refresh_from_db()
        assert user.check_password(NEW_PASSWORD)

    def test_password_change_with_a_wrong_current_password_changes_nothing(
        self, client: Client
    ) -> None:
        user = UserFactory()
        client.force_login(user)
        password_before = user.password

        response = client.post(
            reverse("accounts:password-change"),
            {"old_password": "not-my-Password-9", "new_password": NEW_PASSWORD},
        )

        assert field_errors(response) == {"old_password": ["当前密码错误。"]}
        user.refresh_from_db()
        assert user.password == password_before

    def test_logout_everywhere_ends_every_session(self, client: Client) -> None:
        user = UserFactory()
        other_device = Client()
        other_device.force_login(user)
        client.force_login(user)

        response = client.post(reverse("accounts:logout-everywhere"))

        assert response["Location"] == LOGIN
        assert signed_in_user_id(client) is None
        assert flash_messages(client.get(LOGIN)) == ["已在所有设备上退出登录。"]
        assert other_device.get(PROFILE).status_code == 302
        assert client.get(PROFILE).status_code == 302

    def test_password_reset_link_sets_a_new_password_once(self, client: Client) -> None:
        user = UserFactory(email="mei@example.com", nickname="小美")

        response = client.post(reverse("accounts:password-reset"), {"email": "Mei@example.com"})

        assert response["Location"] == LOGIN
        assert flash_messages(client.get(LOGIN)) == [
            "如果该邮箱已注册，重置链接将很快发送到该邮箱。"
        ]
        [email] = mail.outbox
        assert email.to == ["mei@example.com"]
        assert email.subject == "重置您的 Circlemart 密码"
        assert email.body.startswith("小美，您好：")
        [link] = re.findall(r"https?://\S+", email.body)
        path = link.removeprefix(settings.SITE_URL)
        assert path.startswith("/accounts/password/reset/")

        assert client.get(path).status_code == 200
        done = client.post(path, {"new_password": NEW_PASSWORD})
        assert done["Location"] == LOGIN
        assert flash_messages(client.get(LOGIN)) == ["密码已设置，请使用新密码登录。"]

        old = client.post(LOGIN, {"email": "mei@example.com", "password": PASSWORD})
        assert field_errors(old) == {"password": ["邮箱或密码错误。"]}
        new = client.post(LOGIN, {"email": "mei@example.com", "password": NEW_PASSWORD})
        assert new["Location"] == PROFILE
        assert signed_in_user_id(client) == user.pk

        password_after_reset = User.objects.get(pk=user.pk).password
        reused = Client().post(path, {"new_password": "third-Attempt-55-river"})
        assert reused.status_code == 400
        assert flash_messages(reused) == ["该重置链接无效或已被使用。"]
        assert User.objects.get(pk=user.pk).password == password_after_reset

    def test_password_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(
        self, client: Client
    ) -> None:
        response = client.post(reverse("accounts:password-reset"), {"email": "who@example.com"})

        assert response["Location"] == LOGIN
        assert mail.outbox == []

    def test_password_reset_refuses_a_weak_new_password(self, client: Client) -> None:
        user = UserFactory(email="mei@example.com")
        client.post(reverse("accounts:password-reset"), {"email": "mei@example.com"})
        path = re.findall(r"https?://\S+", mail.outbox[0].body)[0].removeprefix(settings.SITE_URL)

        response = client.post(path, {"new_password": "12345678"})

        assert field_errors(response) == {"new_password": ["这个密码太常见了。 密码只包含数字。"]}
        user.refresh_from_db()
        assert user.check_password(PASSWORD)

    def test_forged_reset_link_is_refused(self, client: Client) -> None:
        UserFactory()

        response = client.get("/accounts/password/reset/MQ/not-a-token/")

        assert response.status_code == 400
        assert flash_messages(response) == ["该重置链接无效或已被使用。"]


# --- CSRF and language -----------------------------------------------------------------------


class TestCsrfAndLanguage:
    def test_post_without_csrf_token_is_forbidden(self) -> None:
        browser = Client(enforce_csrf_checks=True)

        response = browser.post(SIGNUP, {"email": "a@example.com", "password": STRONG})

        assert response.status_code == 403
        assert User.objects.count() == 0

    def test_post_with_the_csrf_token_goes_through(self) -> None:
        browser = Client(enforce_csrf_checks=True)
        browser.get(SIGNUP)
        token = browser.cookies[settings.CSRF_COOKIE_NAME].value

        response = browser.post(
            SIGNUP, {"email": "a@example.com", "password": STRONG, "csrfmiddlewaretoken": token}
        )

        assert response.status_code == 302
        assert User.objects.count() == 1

    def test_signed_in_post_without_token_does_not_sign_out(self) -> None:
        user = UserFactory()
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(user)

        assert browser.post(reverse("accounts:logout")).status_code == 403
        assert browser.post(reverse("accounts:logout-everywhere")).status_code == 403
        assert browser.get(PROFILE).status_code == 200

    def test_language_switch_turns_the_pages_english(self, client: Client) -> None:
        chinese = client.get(LOGIN)
        assert '<html lang="zh-hans">' in chinese.content.decode()
        assert "登录" in visible_text(chinese)

        switched = client.post(reverse("set_language"), {"language": "en", "next": LOGIN})

        assert switched.status_code == 302
        assert switched["Location"] == LOGIN
        assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
        english = client.get(LOGIN)
        text = visible_text(english)
        assert '<html lang="en">' in english.content.decode()
        assert "Sign in" in text
        assert "Forgot your password?" in text
        assert "登录" not in text
