"""accounts API through HTTP: /api/v1/auth/* and /api/v1/me."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core import mail
from django.test import Client
from PIL import Image

from circlemart.accounts.models import Address, User
from tests.accounts.factories import PASSWORD, AddressFactory, UserFactory

pytestmark = pytest.mark.django_db
STRONG = "blue-Harbor-42-lantern"


def post(client: Client, path: str, body: object, **headers: str):
    return client.post(path, json.dumps(body), content_type="application/json", headers=headers)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signed_in(client: Client, user: User) -> dict[str, str]:
    response = post(client, "/api/v1/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, response.content
    return bearer(response.json()["tokens"]["access_token"])


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (800, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 60)).save(buffer, format=fmt)
    return buffer.getvalue()


class TestRegister:
    def test_created_with_tokens(self, api_client):
        response = post(
            api_client,
            "/api/v1/auth/register",
            {"email": "New@Example.com", "password": STRONG, "nickname": "新朋友"},
        )
        assert response.status_code == 201
        body = response.json()
        assert body["user"]["email"] == "new@example.com"
        assert body["user"]["roles"] == ["shopper"]
        assert body["tokens"]["token_type"] == "Bearer"
        me = api_client.get("/api/v1/me", headers=bearer(body["tokens"]["access_token"]))
        assert me.json()["nickname"] == "新朋友"

    def test_taken_email_is_409_naming_the_field(self, api_client):
        UserFactory(email="dup@example.com")
        response = post(
            api_client, "/api/v1/auth/register", {"email": "DUP@example.com", "password": STRONG}
        )
        assert response.status_code == 409
        assert response.json() == {
            "error": {
                "code": "email_taken",
                "message": "An account with this email already exists.",
                "field": "email",
            }
        }
        assert User.objects.count() == 1

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"password": STRONG}, "email"),
            ({"email": "a@example.com"}, "password"),
            ({"email": "nope", "password": STRONG}, "email"),
            ({"email": "a@example.com", "password": "abc"}, "password"),
            ({"email": "a@example.com", "password": STRONG, "nickname": "<b>hi</b>"}, "nickname"),
        ],
    )
    def test_bad_input_is_400_naming_the_field(self, api_client, body, field):
        response = post(api_client, "/api/v1/auth/register", body)
        assert response.status_code == 400
        assert response.json()["error"]["field"] == field
        assert User.objects.count() == 0

    def test_messages_are_chinese_by_default_and_english_on_request(self):
        chinese = post(Client(), "/api/v1/auth/register", {"password": STRONG})
        english = post(
            Client(HTTP_ACCEPT_LANGUAGE="en"), "/api/v1/auth/register", {"password": STRONG}
        )
        assert english.json()["error"]["message"] == "This field is required."
        assert chinese.json()["error"]["message"] == "这个字段是必填项。"

    def test_malformed_json_is_a_400(self, api_client):
        response = api_client.post(
            "/api/v1/auth/register", "{not json", content_type="application/json"
        )
        assert response.status_code == 400
        assert "error" in response.json()

    def test_retry_with_idempotency_key_registers_once(self, api_client):
        body = {"email": "idem@example.com", "password": STRONG}
        first = post(api_client, "/api/v1/auth/register", body, **{"Idempotency-Key": "reg-1"})
        second = post(api_client, "/api/v1/auth/register", body, **{"Idempotency-Key": "reg-1"})
        assert first.status_code == second.status_code == 201
        assert first.content == second.content
        assert second["Idempotent-Replayed"] == "true"
        assert User.objects.count() == 1
        other = post(
            api_client,
            "/api/v1/auth/register",
            {"email": "other@example.com", "password": STRONG},
            **{"Idempotency-Key": "reg-1"},
        )
        assert other.status_code == 409
        assert other.json()["error"]["code"] == "idempotency_key_reused"

    def test_registration_is_rate_limited_per_address(self, api_client):
        for index in range(10):
            response = post(
                api_client,
                "/api/v1/auth/register",
                {"email": f"r{index}@example.com", "password": STRONG},
            )
            assert response.status_code == 201
        response = post(
            api_client, "/api/v1/auth/register", {"email": "r10@example.com", "password": STRONG}
        )
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        assert User.objects.count() == 10


class TestLoginAndTokens:
    def test_login_wrong_password_then_step_up_not_lock_out(self, api_client, settings):
        """Replaces the old lock-out test (3 failures → 429 account_locked for everyone)."""
        settings.LOGIN_STEP_UP_AFTER_FAILURES = 3
        user = UserFactory(email="lock@example.com")
        codes = [
            post(api_client, "/api/v1/auth/login", {"email": user.email, "password": "bad"})
            for _ in range(3)
        ]
        assert [response.status_code for response in codes] == [401, 401, 401]
        assert {response.json()["error"]["code"] for response in codes} == {"invalid_credentials"}
        right = post(api_client, "/api/v1/auth/login", {"email": user.email, "password": PASSWORD})
        assert right.status_code == 401
        error = right.json()["error"]
        assert (error["code"], error["field"]) == ("challenge_required", "challenge")
        assert set(error["challenge"]) == {"token", "algorithm", "difficulty", "expires_in"}
        elsewhere = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="198.51.100.30")
        owner = post(elsewhere, "/api/v1/auth/login", {"email": user.email, "password": PASSWORD})
        assert owner.status_code == 200
        assert owner.json()["user"]["id"] == user.pk

    def test_me_requires_authentication(self, api_client):
        response = api_client.get("/api/v1/me")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
        garbage = api_client.get("/api/v1/me", headers=bearer("cma_garbage"))
        assert garbage.status_code == 401

    def test_refresh_rotation_and_reuse_detection(self, api_client):
        user = UserFactory()
        login = post(api_client, "/api/v1/auth/login", {"email": user.email, "password": PASSWORD})
        refresh = login.json()["tokens"]["refresh_token"]
        rotated = post(api_client, "/api/v1/auth/token/refresh", {"refresh_token": refresh})
        assert rotated.status_code == 200
        replay = post(api_client, "/api/v1/auth/token/refresh", {"refresh_token": refresh})
        assert replay.status_code == 401
        assert replay.json()["error"]["code"] == "token_reused"
        new_access = rotated.json()["access_token"]
        assert api_client.get("/api/v1/me", headers=bearer(new_access)).status_code == 401

    def test_logout_ends_only_this_login(self, api_client):
        user = UserFactory()
        phone, laptop = signed_in(api_client, user), signed_in(api_client, user)
        assert api_client.post("/api/v1/auth/logout", headers=phone).status_code == 204
        assert api_client.get("/api/v1/me", headers=phone).status_code == 401
        assert api_client.get("/api/v1/me", headers=laptop).status_code == 200

    def test_logout_all_ends_every_login_and_session(self, api_client):
        user = UserFactory()
        browser = Client()
        browser.force_login(user)
        phone, laptop = signed_in(api_client, user), signed_in(api_client, user)
        assert api_client.post("/api/v1/auth/logout-all", headers=phone).status_code == 204
        assert api_client.get("/api/v1/me", headers=laptop).status_code == 401
        assert browser.get("/api/v1/me").status_code == 401

    def test_session_cookie_works_for_reads_and_needs_csrf_for_writes(self):
        user = UserFactory()
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(user)
        assert browser.get("/api/v1/me").json()["id"] == user.pk
        write = browser.patch(
            "/api/v1/me", json.dumps({"bio": "x"}), content_type="application/json"
        )
        assert write.status_code == 403
        assert write.json()["error"]["code"] == "csrf_failed"
        user.refresh_from_db()
        assert user.bio == ""


class TestPhoneSignIn:
    def test_request_then_verify_creates_the_account(self, api_client, sent_sms):
        sent = post(api_client, "/api/v1/auth/otp/request", {"phone": "13800138000"})
        assert sent.status_code == 202
        assert sent.json() == {"expires_in": 300, "resend_after": 60}
        code = re.search(r"(?<!\d)(\d{6})(?!\d)", sent_sms[-1][1]).group(1)
        verified = post(
            api_client, "/api/v1/auth/otp/verify", {"phone": "13800138000", "code": code}
        )
        assert verified.status_code == 200
        body = verified.json()
        assert body["created"] is True
        assert body["user"]["phone"] == "+8613800138000"

    def test_malformed_phone_and_wrong_code(self, api_client, sent_sms):
        bad = post(api_client, "/api/v1/auth/otp/request", {"phone": "555"})
        assert bad.status_code == 400
        assert bad.json()["error"]["field"] == "phone"
        post(api_client, "/api/v1/auth/otp/request", {"phone": "13800138000"})
        wrong = post(
            api_client, "/api/v1/auth/otp/verify", {"phone": "13800138000", "code": "12345"}
        )
        assert wrong.status_code == 400
        assert wrong.json()["error"]["field"] == "code"
        assert User.objects.count() == 0


class TestProfile:
    def test_patch_changes_given_fields(self, api_client):
        user = UserFactory(city="杭州")
        headers = signed_in(api_client, user)
        response = api_client.patch(
            "/api/v1/me",
            json.dumps({"nickname": "阿杰", "interests": ["数码", "摄影"]}),
            content_type="application/json",
            headers=headers,
        )
        assert response.status_code == 200
        assert (response.json()["nickname"], response.json()["city"]) == ("阿杰", "杭州")
        assert response.json()["interests"] == ["数码", "摄影"]

    def test_patch_refusal_changes_nothing(self, api_client):
        user = UserFactory(nickname="same")
        headers = signed_in(api_client, user)
        response = api_client.patch(
            "/api/v1/me",
            json.dumps({"nickname": "new", "bio": "b" * 500}),
            content_type="application/json",
            headers=headers,
        )
        assert response.status_code == 400
        assert response.json()["error"]["field"] == "bio"
        user.refresh_from_db()
        assert user.nickname == "same"

    def test_avatar_upload_is_reencoded(self, api_client):
        user = UserFactory()
        headers = signed_in(api_client, user)
        upload = io.BytesIO(image_bytes("JPEG"))
        upload.name = "me.jpg"
        response = api_client.post("/api/v1/me/avatar", {"avatar": upload}, headers=headers)
        assert response.status_code == 200
        user.refresh_from_db()
        with Image.open(user.avatar.path) as stored:
            assert (stored.format, stored.size) == ("WEBP", (512, 512))

    def test_oversized_and_fake_avatars_are_refused(self, api_client, settings):
        settings.AVATAR_MAX_BYTES = 1000
        user = UserFactory()
        headers = signed_in(api_client, user)
        big = io.BytesIO(image_bytes("PNG", (600, 600)) + b"\0" * 2000)
        big.name = "big.png"
        too_big = api_client.post("/api/v1/me/avatar", {"avatar": big}, headers=headers)
        assert too_big.status_code == 400
        assert too_big.json()["error"] == {
            "code": "avatar_too_large",
            "message": "The image is too large (maximum 1000\xa0bytes).",
            "field": "avatar",
        }
        fake = io.BytesIO(b"<?php echo 1; ?>")
        fake.name = "cat.png"
        settings.AVATAR_MAX_BYTES = 2 * 1024 * 1024
        not_image = api_client.post("/api/v1/me/avatar", {"avatar": fake}, headers=headers)
        assert not_image.status_code == 400
        assert not_image.json()["error"]["code"] == "avatar_invalid"
        user.refresh_from_db()
        assert not user.avatar

    def test_password_change(self, api_client):
        user = UserFactory()
        headers = signed_in(api_client, user)
        response = post(
            api_client,
            "/api/v1/me/password",
            {"old_password": PASSWORD, "new_password": STRONG},
            **headers,
        )
        assert response.status_code == 204
        assert api_client.get("/api/v1/me", headers=headers).status_code == 401
        relogin = post(api_client, "/api/v1/auth/login", {"email": user.email, "password": STRONG})
        assert relogin.status_code == 200


class TestAddresses:
    BODY = {
        "recipient": "韩梅梅",
        "phone": "+86 139 1234 5678",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "detail": "文三路 90 号",
        "postal_code": "310012",
    }

    def test_crud(self, api_client):
        headers = signed_in(api_client, UserFactory())
        created = post(api_client, "/api/v1/me/addresses", self.BODY, **headers)
        assert created.status_code == 201
        address = created.json()
        assert (address["phone"], address["is_default"]) == ("+8613912345678", True)
        listed = api_client.get("/api/v1/me/addresses", headers=headers).json()
        assert [row["id"] for row in listed] == [address["id"]]
        changed = api_client.put(
            f"/api/v1/me/addresses/{address['id']}",
            json.dumps({**self.BODY, "label": "公司"}),
            content_type="application/json",
            headers=headers,
        )
        assert changed.json()["label"] == "公司"
        deleted = api_client.delete(f"/api/v1/me/addresses/{address['id']}", headers=headers)
        assert deleted.status_code == 204
        assert Address.objects.count() == 0

    def test_other_users_address_is_404_everywhere(self, api_client):
        victim = AddressFactory()
        headers = signed_in(api_client, UserFactory())
        path = f"/api/v1/me/addresses/{victim.pk}"
        assert api_client.get(path, headers=headers).status_code == 404
        assert api_client.delete(path, headers=headers).status_code == 404
        assert post(api_client, f"{path}/default", {}, **headers).status_code == 404
        changed = api_client.put(
            path, json.dumps(self.BODY), content_type="application/json", headers=headers
        )
        assert changed.status_code == 404
        victim.refresh_from_db()
        assert victim.recipient == "张三"

    def test_missing_and_bad_fields(self, api_client):
        headers = signed_in(api_client, UserFactory())
        missing = post(
            api_client,
            "/api/v1/me/addresses",
            {k: v for k, v in self.BODY.items() if k != "city"},
            **headers,
        )
        assert missing.status_code == 400
        assert missing.json()["error"]["field"] == "city"
        bad_phone = post(api_client, "/api/v1/me/addresses", {**self.BODY, "phone": "x"}, **headers)
        assert bad_phone.json()["error"]["field"] == "phone"
        assert Address.objects.count() == 0


class TestPasswordReset:
    def test_full_flow(self, api_client):
        user = UserFactory(email="forgot@example.com")
        accepted = post(api_client, "/api/v1/auth/password-reset", {"email": user.email})
        assert accepted.status_code == 202
        link = next(line for line in mail.outbox[0].body.splitlines() if "/password/reset/" in line)
        uid, token = link.rstrip("/").split("/")[-2:]
        done = post(
            api_client,
            "/api/v1/auth/password-reset/confirm",
            {"uid": uid, "token": token, "new_password": STRONG},
        )
        assert done.status_code == 204
        again = post(
            api_client,
            "/api/v1/auth/password-reset/confirm",
            {"uid": uid, "token": token, "new_password": STRONG},
        )
        assert again.status_code == 400
        assert again.json()["error"]["code"] == "reset_link_invalid"

    def test_unknown_email_gets_the_same_answer(self, api_client):
        known = UserFactory(email="known@example.com")
        unknown = post(api_client, "/api/v1/auth/password-reset", {"email": "who@example.com"})
        found = post(api_client, "/api/v1/auth/password-reset", {"email": known.email})
        assert unknown.status_code == found.status_code == 202
        assert unknown.json() == found.json()
        assert len(mail.outbox) == 1


def test_openapi_docs_are_served(api_client):
    assert api_client.get("/api/docs").status_code == 302
    assert api_client.get("/api/v1/docs").status_code == 200
    schema = api_client.get("/api/v1/openapi.json").json()
    assert "/api/v1/auth/register" in schema["paths"]
