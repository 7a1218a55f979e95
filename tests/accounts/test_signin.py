"""Password sign-in without account enumeration or lock-out by strangers (issue 11, item 6).

Known and unknown emails get the same answers; attempts are counted per (account, client),
per account and per client; past a limit that client needs a step-up (a proof-of-work
challenge, then a texted code on accounts with a phone) while the owner elsewhere signs in.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client

from circlemart.accounts import tasks
from circlemart.accounts.models import ApiToken, User
from circlemart.accounts.signin.device import COOKIE_NAME
from circlemart.core import clock
from tests.accounts.factories import PASSWORD, UserFactory
from tests.hashers import QuickArgon2idHasher
from tests.html_page import field_errors, visible_text

pytestmark = pytest.mark.django_db

LOGIN_API = "/api/v1/auth/login"
LOGIN_PAGE = "/accounts/login/"
STRANGER = "198.51.100.66"
OWNER = "203.0.113.10"
WRONG = "not-the-Password-1"
STEP_UP_MESSAGE = (
    "Too many sign-in attempts from this device. Complete the security check, then sign in again."
)
REFUSED_CHECK_MESSAGE = (
    "The security check has expired, was already used or is wrong. Complete the new one, "
    "then sign in again."
)
INVALID = {
    "error": {
        "code": "invalid_credentials",
        "message": "Email or password is incorrect.",
        "field": "password",
    }
}


def solve(challenge: dict[str, Any]) -> str:
    """The client's half of the proof of work, written from the documented rule."""
    assert challenge["algorithm"] == "sha256-leading-zero-bits"
    token, bits = challenge["token"], challenge["difficulty"]
    for counter in itertools.count():
        digest = hashlib.sha256(f"{token}{counter}".encode()).digest()
        if int.from_bytes(digest, "big") >> (256 - bits) == 0:
            return str(counter)
    raise AssertionError("unreachable")


def wrong_nonce(challenge: dict[str, Any]) -> str:
    for counter in itertools.count():
        digest = hashlib.sha256(f"{challenge['token']}x{counter}".encode()).digest()
        if int.from_bytes(digest, "big") >> (256 - challenge["difficulty"]) != 0:
            return f"x{counter}"
    raise AssertionError("unreachable")


def client_at(ip: str) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=ip)


def sign_in(client: Client, email: str, password: str, **extra: str) -> HttpResponse:
    body = {"email": email, "password": password, **extra}
    return client.post(LOGIN_API, json.dumps(body), content_type="application/json")


def answer(response: HttpResponse) -> tuple[int, dict[str, Any]]:
    """Status and body, with the random challenge token blanked out for comparison."""
    body = response.json()
    challenge = body.get("error", {}).get("challenge")
    if challenge is not None:
        challenge["token"] = "<token>"
    return response.status_code, body


def challenge_after_failures(client: Client, email: str, failures: int = 5) -> dict[str, Any]:
    """Spend the free attempts with wrong passwords; return the challenge the next one gets."""
    for _ in range(failures):
        assert answer(sign_in(client, email, WRONG)) == (401, INVALID)
    response = sign_in(client, email, WRONG)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "challenge_required"
    challenge: dict[str, Any] = error["challenge"]
    return challenge


def tokens_of(user: User) -> int:
    return ApiToken.objects.filter(user=user).count()


# --- The same answers for registered and unknown emails --------------------------------------


class TestSameAnswerForKnownAndUnknown:
    def test_api_answers_alike_from_the_first_failure_to_the_step_up(self) -> None:
        """Fails on the old code: the registered email answered 429 account_locked."""
        UserFactory(email="known@example.com")
        known = [sign_in(client_at(OWNER), "known@example.com", WRONG) for _ in range(7)]
        unknown = [sign_in(client_at(STRANGER), "ghost@example.com", WRONG) for _ in range(7)]

        step_up = {
            "error": {
                "code": "challenge_required",
                "message": STEP_UP_MESSAGE,
                "field": "challenge",
                "challenge": {
                    "token": "<token>",
                    "algorithm": "sha256-leading-zero-bits",
                    "difficulty": 16,
                    "expires_in": 300,
                },
            }
        }
        assert [answer(response) for response in known] == [(401, INVALID)] * 5 + [
            (401, step_up)
        ] * 2
        assert [answer(response) for response in unknown] == [answer(r) for r in known]
        assert [r.headers.get("Retry-After") for r in known + unknown] == [None] * 14

    def test_step_up_answers_alike_for_a_phone_account_and_an_unknown_email(
        self, sent_sms: list[tuple[str, str]]
    ) -> None:
        UserFactory.with_phone("+8613800138000", email="phone@example.com")
        answers = []
        for email, ip in [("phone@example.com", OWNER), ("ghost1@example.com", STRANGER)]:
            client = client_at(ip)
            challenge = challenge_after_failures(client, email)
            solved = sign_in(
                client, email, WRONG, challenge=challenge["token"], nonce=solve(challenge)
            )
            again = sign_in(client, email, WRONG)
            answers.append((answer(solved), answer(again)))

        assert answers[0] == answers[1]
        assert answers[0][0] == (401, INVALID)
        assert answers[0][1][1]["error"]["code"] == "challenge_required"
        assert sent_sms == []  # only a right password ever gets a code texted

    def test_sign_in_page_answers_alike(self) -> None:
        UserFactory(email="known@example.com")

        def pages(email: str, ip: str) -> list[str]:
            client = Client(REMOTE_ADDR=ip)
            responses = [
                client.post(LOGIN_PAGE, {"email": email, "password": WRONG}) for _ in range(7)
            ]
            assert {response.status_code for response in responses} == {200}
            return [normalised(response, email) for response in responses]

        known = pages("known@example.com", OWNER)
        unknown = pages("ghost@example.com", STRANGER)

        assert known == unknown
        assert ["data-challenge=" in page for page in known] == [False] * 5 + [True] * 2

    def test_the_password_hasher_runs_for_unknown_emails_too(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        calls: list[str] = []
        verify = QuickArgon2idHasher.verify

        def counting(self: QuickArgon2idHasher, password: str, encoded: str) -> bool:
            calls.append(password)
            return verify(self, password, encoded)

        monkeypatch.setattr(QuickArgon2idHasher, "verify", counting)
        UserFactory(email="known@example.com")
        no_password = UserFactory(email="nopass@example.com")
        no_password.set_unusable_password()
        no_password.save()

        for email in ["known@example.com", "ghost@example.com", "nopass@example.com"]:
            response = sign_in(client_at(OWNER), email, f"try-{email}")
            assert answer(response) == (401, INVALID)

        assert calls == ["try-known@example.com", "try-ghost@example.com", "try-nopass@example.com"]

    def test_password_reset_request_looks_nothing_up_and_answers_alike(
        self, monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: Any
    ) -> None:
        UserFactory(email="known@example.com")
        queued: list[dict[str, str]] = []
        monkeypatch.setattr(
            tasks.send_password_reset_email, "delay", lambda **kwargs: queued.append(kwargs)
        )
        answers = []
        for email in ["known@example.com", "ghost@example.com"]:
            with django_assert_num_queries(0):
                response = client_at(OWNER).post(
                    "/api/v1/auth/password-reset",
                    json.dumps({"email": email}),
                    content_type="application/json",
                )
            answers.append((response.status_code, response.json()))

        assert answers[0] == answers[1]
        assert answers[0] == (
            202,
            {"detail": "If an account uses this email, a reset link is on its way."},
        )
        assert queued == [
            {"email": "known@example.com", "language": "en"},
            {"email": "ghost@example.com", "language": "en"},
        ]

    def test_reset_task_mails_only_an_active_account(self, mailoutbox: list[Any]) -> None:
        UserFactory(email="known@example.com")
        UserFactory(email="gone@example.com", is_active=False)

        for email in ["known@example.com", "ghost@example.com", "gone@example.com"]:
            tasks.send_password_reset_email.delay(email=email, language="en")

        assert [(message.to, message.subject) for message in mailoutbox] == [
            (["known@example.com"], "Reset your Circlemart password")
        ]

    def test_phone_code_request_answers_alike_for_registered_and_new_numbers(
        self, sent_sms: list[tuple[str, str]]
    ) -> None:
        UserFactory.with_phone("+8613800138000")
        answers = [
            client_at(ip).post(
                "/api/v1/auth/otp/request",
                json.dumps({"phone": phone}),
                content_type="application/json",
            )
            for phone, ip in [("13800138000", OWNER), ("13900139000", STRANGER)]
        ]

        assert [(r.status_code, r.json()) for r in answers] == [
            (202, {"expires_in": 300, "resend_after": 60})
        ] * 2
        assert [phone for phone, _ in sent_sms] == ["+8613800138000", "+8613900139000"]


def normalised(response: HttpResponse, email: str) -> str:
    """The page with what is random per answer (CSRF and challenge tokens, CSP nonces) and
    the typed email blanked out."""
    html = response.content.decode().replace(email, "<email>")
    html = re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]+', r"\1<csrf>", html)
    html = re.sub(r'("X-CSRFToken": ")[^"]+', r"\1<csrf>", html)
    html = re.sub(r'(data-challenge="|name="challenge" value=")[^"]+', r"\1<token>", html)
    return re.sub(r'(nonce=")[^"]+', r"\1<nonce>", html)


# --- A stranger cannot lock the owner out ----------------------------------------------------


class TestStrangerCannotLockTheOwnerOut:
    def test_owner_signs_in_from_another_client_while_a_stranger_hammers(self) -> None:
        """Fails on the old code: five wrong passwords locked the account for everyone."""
        user = UserFactory(email="owner@example.com")
        stranger, owner = client_at(STRANGER), client_at(OWNER)
        stranger_codes, owner_statuses = [], []
        for round_ in range(3):
            for _ in range(8):
                response = sign_in(stranger, user.email, f"guess-{round_}")
                stranger_codes.append(response.json()["error"]["code"])
            owner_statuses.append(sign_in(owner, user.email, PASSWORD).status_code)

        assert owner_statuses == [200, 200, 200]
        assert stranger_codes == ["invalid_credentials"] * 5 + ["challenge_required"] * 19
        stranger_right = sign_in(stranger, user.email, PASSWORD)
        assert stranger_right.json()["error"]["code"] == "challenge_required"
        assert tokens_of(user) == 6  # three sign-ins of the owner, none for the stranger

    def test_strangers_from_many_addresses_make_new_clients_step_up_but_not_the_owners_device(
        self, settings: Any
    ) -> None:
        settings.LOGIN_STEP_UP_ACCOUNT_FAILURES = 6
        user = UserFactory(email="owner@example.com")
        owners_phone = client_at(OWNER)
        assert sign_in(owners_phone, user.email, PASSWORD).status_code == 200
        assert COOKIE_NAME in owners_phone.cookies

        for index in range(3):
            for _ in range(2):
                wrong = sign_in(client_at(f"198.51.100.{index + 1}"), user.email, WRONG)
                assert answer(wrong) == (401, INVALID)

        new_laptop = client_at("192.0.2.77")
        stepped_up = sign_in(new_laptop, user.email, PASSWORD)
        assert stepped_up.json()["error"]["code"] == "challenge_required"
        challenge = stepped_up.json()["error"]["challenge"]
        solved = sign_in(
            new_laptop, user.email, PASSWORD, challenge=challenge["token"], nonce=solve(challenge)
        )
        assert solved.status_code == 200
        assert sign_in(owners_phone, user.email, PASSWORD).status_code == 200

    def test_a_device_cookie_of_another_account_or_a_forged_one_does_not_help(self) -> None:
        victim = UserFactory(email="victim@example.com")
        own = UserFactory(email="stranger@example.com")
        stranger = client_at(STRANGER)
        assert sign_in(stranger, own.email, PASSWORD).status_code == 200  # has a cookie now

        codes = [sign_in(stranger, victim.email, WRONG).json()["error"]["code"] for _ in range(6)]
        forged = client_at(STRANGER)
        forged.cookies[COOKIE_NAME] = "forged:value"
        forged_code = sign_in(forged, victim.email, WRONG).json()["error"]["code"]

        assert codes == ["invalid_credentials"] * 5 + ["challenge_required"]
        assert forged_code == "challenge_required"
        assert tokens_of(victim) == 0

    def test_the_page_sets_the_device_cookie_and_honours_it(self, settings: Any) -> None:
        settings.LOGIN_STEP_UP_ACCOUNT_FAILURES = 2
        user = UserFactory(email="owner@example.com")
        browser = Client(REMOTE_ADDR=OWNER)
        assert browser.post(LOGIN_PAGE, {"email": user.email, "password": PASSWORD}).status_code
        assert COOKIE_NAME in browser.cookies
        cookie = browser.cookies[COOKIE_NAME]
        assert (cookie["httponly"], cookie["samesite"]) == (True, "Lax")
        browser.post("/accounts/logout/")
        for index in range(2):
            client_at(f"198.51.100.{index + 1}").post(
                LOGIN_PAGE, {"email": user.email, "password": WRONG}
            )

        stranger_right = Client(REMOTE_ADDR="192.0.2.1").post(
            LOGIN_PAGE, {"email": user.email, "password": PASSWORD}
        )
        owner_again = browser.post(LOGIN_PAGE, {"email": user.email, "password": PASSWORD})

        assert "data-challenge=" in stranger_right.content.decode()
        assert owner_again.status_code == 302


# --- The proof-of-work challenge -------------------------------------------------------------


class TestChallenge:
    def test_a_solved_challenge_lets_the_right_password_in_and_the_client_starts_afresh(
        self,
    ) -> None:
        user = UserFactory(email="owner@example.com")
        client = client_at(OWNER)
        challenge = challenge_after_failures(client, user.email)

        response = sign_in(
            client, user.email, PASSWORD, challenge=challenge["token"], nonce=solve(challenge)
        )

        assert response.status_code == 200
        assert response.json()["user"]["id"] == user.pk
        assert response.cookies[COOKIE_NAME]["max-age"] == 180 * 86400
        assert answer(sign_in(client_at(OWNER), user.email, WRONG)) == (401, INVALID)

    def test_a_solved_challenge_with_a_wrong_password_buys_one_guess(self) -> None:
        user = UserFactory(email="owner@example.com")
        client = client_at(STRANGER)
        challenge = challenge_after_failures(client, user.email)

        guess = sign_in(
            client, user.email, WRONG, challenge=challenge["token"], nonce=solve(challenge)
        )
        next_guess = sign_in(client, user.email, PASSWORD)

        assert answer(guess) == (401, INVALID)
        assert next_guess.json()["error"]["code"] == "challenge_required"
        assert next_guess.json()["error"]["challenge"]["token"] != challenge["token"]
        assert tokens_of(user) == 0

    def test_a_replayed_solution_is_refused(self) -> None:
        user = UserFactory(email="owner@example.com")
        client = client_at(STRANGER)
        challenge = challenge_after_failures(client, user.email)
        solution = {"challenge": challenge["token"], "nonce": solve(challenge)}
        assert answer(sign_in(client, user.email, WRONG, **solution)) == (401, INVALID)

        replay = sign_in(client, user.email, PASSWORD, **solution)

        assert replay.status_code == 401
        assert replay.json()["error"]["code"] == "challenge_required"
        assert replay.json()["error"]["message"] == REFUSED_CHECK_MESSAGE
        assert tokens_of(user) == 0
        assert User.objects.get(pk=user.pk).last_login is None

    def test_an_expired_challenge_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        user = UserFactory(email="owner@example.com")
        client = client_at(OWNER)
        challenge = challenge_after_failures(client, user.email)
        solution = {"challenge": challenge["token"], "nonce": solve(challenge)}
        issued = clock.now()

        monkeypatch.setattr(clock, "now", lambda: issued + timedelta(seconds=301))
        late = sign_in(client, user.email, PASSWORD, **solution)
        monkeypatch.setattr(clock, "now", lambda: issued + timedelta(seconds=290))
        in_time = sign_in(client, user.email, PASSWORD, **solution)

        assert late.status_code == 401
        assert late.json()["error"]["code"] == "challenge_required"
        assert late.json()["error"]["message"] == REFUSED_CHECK_MESSAGE
        assert in_time.status_code == 200  # the same solution, only earlier
        assert tokens_of(user) == 2

    @pytest.mark.parametrize("flaw", ["wrong nonce", "tampered token", "other account"])
    def test_a_wrong_solution_is_refused(self, flaw: str) -> None:
        user = UserFactory(email="owner@example.com")
        client = client_at(STRANGER)
        challenge = challenge_after_failures(client, user.email)
        solution = {"challenge": challenge["token"], "nonce": solve(challenge)}
        if flaw == "wrong nonce":
            solution["nonce"] = wrong_nonce(challenge)
        elif flaw == "tampered token":
            token = challenge["token"]
            solution["challenge"] = token[:-1] + ("A" if token[-1] != "A" else "B")
        else:
            other = challenge_after_failures(client, "other@example.com")
            solution = {"challenge": other["token"], "nonce": solve(other)}

        response = sign_in(client, user.email, PASSWORD, **solution)

        assert response.status_code == 401
        assert response.json()["error"]["code"] == "challenge_required"
        assert response.json()["error"]["message"] == REFUSED_CHECK_MESSAGE
        assert tokens_of(user) == 0

    def test_difficulty_follows_the_setting(self, settings: Any) -> None:
        settings.LOGIN_CHALLENGE_BITS = 20
        settings.LOGIN_CHALLENGE_TTL_SECONDS = 120
        challenge = challenge_after_failures(client_at(OWNER), "anyone@example.com")
        assert (challenge["difficulty"], challenge["expires_in"]) == (20, 120)

    @pytest.mark.parametrize(
        ("field", "value"), [("nonce", "1" * 65), ("challenge", "t" * 401), ("sms_code", "1" * 7)]
    )
    def test_oversized_answers_are_a_400_naming_the_field(self, field: str, value: str) -> None:
        user = UserFactory(email="owner@example.com")
        response = sign_in(client_at(OWNER), user.email, PASSWORD, **{field: value})
        assert response.status_code == 400
        assert response.json()["error"]["field"] == field
        assert tokens_of(user) == 0


# --- The texted code on accounts with a phone ------------------------------------------------


def texted_code(sent_sms: list[tuple[str, str]]) -> str:
    found = re.search(r"(?<!\d)(\d{6})(?!\d)", sent_sms[-1][1])
    assert found, sent_sms[-1][1]
    return found.group(1)


class TestTextedCode:
    def test_after_the_challenge_a_right_password_needs_the_texted_code(
        self, sent_sms: list[tuple[str, str]]
    ) -> None:
        user = UserFactory.with_phone("+8613800138000", email="phone@example.com")
        client = client_at(OWNER)
        challenge = challenge_after_failures(client, user.email)

        needs_code = sign_in(
            client, user.email, PASSWORD, challenge=challenge["token"], nonce=solve(challenge)
        )

        assert needs_code.status_code == 401
        assert needs_code.json() == {
            "error": {
                "code": "sms_code_required",
                "message": "Enter the code we texted to +86138****8000 to finish signing in.",
                "field": "sms_code",
                "resend_after": 60,
            }
        }
        assert [phone for phone, _ in sent_sms] == ["+8613800138000"]
        assert tokens_of(user) == 0
        done = sign_in(client, user.email, PASSWORD, sms_code=texted_code(sent_sms))
        assert done.status_code == 200
        assert done.json()["user"]["id"] == user.pk

    def test_a_wrong_code_asks_for_the_challenge_again(
        self, sent_sms: list[tuple[str, str]]
    ) -> None:
        user = UserFactory.with_phone("+8613800138000", email="phone@example.com")
        client = client_at(OWNER)
        challenge = challenge_after_failures(client, user.email)
        sign_in(client, user.email, PASSWORD, challenge=challenge["token"], nonce=solve(challenge))
        wrong_code = "000000" if texted_code(sent_sms) != "000000" else "111111"

        response = sign_in(client, user.email, PASSWORD, sms_code=wrong_code)

        assert response.status_code == 401
        assert response.json()["error"]["code"] == "challenge_required"
        assert tokens_of(user) == 0

    def test_the_page_asks_for_the_code_then_signs_in(
        self, sent_sms: list[tuple[str, str]]
    ) -> None:
        user = UserFactory.with_phone("+8613800138000", email="phone@example.com")
        browser = Client(REMOTE_ADDR=OWNER)
        for _ in range(5):
            browser.post(LOGIN_PAGE, {"email": user.email, "password": WRONG})
        page = browser.post(LOGIN_PAGE, {"email": user.email, "password": PASSWORD})
        challenge = challenge_on(page)

        code_page = browser.post(
            LOGIN_PAGE,
            {
                "email": user.email,
                "password": PASSWORD,
                "challenge": challenge["token"],
                "nonce": solve(challenge),
            },
        )

        assert field_errors(code_page) == {
            "sms_code": ["请输入发送到 +86138****8000 的短信验证码以完成登录。"]
        }
        assert "短信验证码" in visible_text(code_page)
        signed_in = browser.post(
            LOGIN_PAGE,
            {"email": user.email, "password": PASSWORD, "sms_code": texted_code(sent_sms)},
        )
        assert signed_in["Location"] == "/accounts/profile/"
        assert int(browser.session["_auth_user_id"]) == user.pk


def challenge_on(page: HttpResponse) -> dict[str, Any]:
    html = page.content.decode()
    token = re.search(r'data-challenge="([^"]+)"', html)
    difficulty = re.search(r'data-difficulty="(\d+)"', html)
    assert token, html
    assert difficulty, html
    assert f'<input type="hidden" name="challenge" value="{token.group(1)}">' in html
    return {
        "token": token.group(1),
        "difficulty": int(difficulty.group(1)),
        "algorithm": "sha256-leading-zero-bits",
    }


class TestSignInPageChallenge:
    def test_the_page_solves_and_signs_in(self) -> None:
        user = UserFactory(email="mei@example.com")
        browser = Client(REMOTE_ADDR=OWNER)
        for _ in range(5):
            browser.post(LOGIN_PAGE, {"email": user.email, "password": WRONG})
        page = browser.post(LOGIN_PAGE, {"email": user.email, "password": PASSWORD})
        challenge = challenge_on(page)
        assert int(browser.session.get("_auth_user_id") or 0) == 0

        signed_in = browser.post(
            LOGIN_PAGE,
            {
                "email": user.email,
                "password": PASSWORD,
                "challenge": challenge["token"],
                "nonce": solve(challenge),
                "next": "/accounts/addresses/",
            },
        )

        assert signed_in.status_code == 302
        assert signed_in["Location"] == "/accounts/addresses/"
        assert int(browser.session["_auth_user_id"]) == user.pk
        assert COOKIE_NAME in signed_in.cookies

    def test_a_replayed_page_solution_shows_a_new_check(self) -> None:
        user = UserFactory(email="mei@example.com")
        browser = Client(REMOTE_ADDR=STRANGER)
        for _ in range(5):
            browser.post(LOGIN_PAGE, {"email": user.email, "password": WRONG})
        challenge = challenge_on(browser.post(LOGIN_PAGE, {"email": user.email, "password": WRONG}))
        solution = {"challenge": challenge["token"], "nonce": solve(challenge)}
        browser.post(LOGIN_PAGE, {"email": user.email, "password": WRONG, **solution})

        replay = browser.post(LOGIN_PAGE, {"email": user.email, "password": PASSWORD, **solution})

        assert field_errors(replay) == {
            "__all__": ["安全验证已过期、已被使用或不正确。请完成新的安全验证后重新登录。"]
        }
        assert challenge_on(replay)["token"] != challenge["token"]
        assert browser.session.get("_auth_user_id") is None
