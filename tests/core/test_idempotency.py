"""Idempotency-Key middleware: one execution per (caller, key), the first answer replayed."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client, RequestFactory
from django.utils import timezone

from circlemart.accounts.services import token_pair_issue
from circlemart.core import idempotency
from circlemart.core.idempotency import request_fingerprint
from circlemart.core.models import IdempotencyRecord
from circlemart.core.tasks import purge_idempotency_records
from tests.accounts.factories import UserFactory
from tests.core import urls as test_views

pytestmark = [pytest.mark.urls("tests.core.urls"), pytest.mark.django_db]

WRITES = "/api/core-writes"
GROUPS = f"{WRITES}/groups"
BODY = json.dumps({"name": "hikers"})
ANONYMOUS_SCOPE = "ip:127.0.0.1"


@pytest.fixture(autouse=True)
def _reset_view_state():
    test_views.calls.clear()
    test_views.gate.release = None
    test_views.shelf.__init__()
    yield
    test_views.calls.clear()
    test_views.gate.release = None
    test_views.shelf.__init__()


@pytest.fixture
def client_en() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def post(client: Client, path: str = GROUPS, body: str = BODY, key: str | None = "key-1"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(path, data=body, content_type="application/json", headers=headers)


def hiker_groups() -> list[str]:
    return sorted(Group.objects.filter(name__startswith="hikers").values_list("name", flat=True))


def records() -> list[tuple]:
    return list(
        IdempotencyRecord.objects.order_by("id").values_list(
            "scope", "key", "method", "path", "state", "response_status"
        )
    )


def test_without_a_key_every_request_runs(client_en):
    first = post(client_en, key=None)
    second = post(client_en, key=None)

    assert (first.status_code, second.status_code) == (201, 201)
    assert hiker_groups() == ["hikers #1", "hikers #2"]
    assert "Idempotent-Replayed" not in second
    assert IdempotencyRecord.objects.count() == 0


def test_a_retry_with_the_same_key_and_body_replays_the_first_answer(client_en):
    first = post(client_en)
    second = post(client_en)

    assert first.status_code == 201
    assert first.json()["name"] == "hikers #1"
    assert "Idempotent-Replayed" not in first
    assert second.status_code == 201
    assert second.content == first.content
    assert second["Content-Type"] == "application/json"
    assert second["Idempotent-Replayed"] == "true"
    assert hiker_groups() == ["hikers #1"]
    assert test_views.calls["create_group"] == 1
    assert records() == [(ANONYMOUS_SCOPE, "key-1", "POST", GROUPS, "completed", 201)]


def test_the_same_key_with_a_different_body_is_refused(client_en):
    post(client_en)
    stored = IdempotencyRecord.objects.get()

    response = post(client_en, body=json.dumps({"name": "hikers, but bigger"}))

    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "idempotency_key_reused",
            "message": "This Idempotency-Key was already used for a different request.",
            "field": "Idempotency-Key",
        }
    }
    assert hiker_groups() == ["hikers #1"]
    assert test_views.calls["create_group"] == 1
    unchanged = IdempotencyRecord.objects.get()
    assert (unchanged.request_hash, bytes(unchanged.response_body)) == (
        stored.request_hash,
        bytes(stored.response_body),
    )


def test_the_same_key_on_another_path_is_refused(client_en):
    post(client_en)

    response = post(client_en, path=f"{WRITES}/status/200")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert test_views.calls["status-200"] == 0


def test_the_refusal_is_translated(client):
    post(client)
    response = post(client, body="{}", key="key-1")  # zh-hans, the default language
    assert response.json()["error"]["message"] == "该 Idempotency-Key 已被另一个不同的请求使用。"


@pytest.mark.parametrize("key", ["", "has space", "a" * 129, "ключ", "semi;colon", "slash/key"])
def test_a_malformed_key_is_refused_before_the_view_runs(client_en, key):
    response = post(client_en, key=key)

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid_idempotency_key",
            "message": "Idempotency-Key must be 1–128 letters, digits or - _ : .",
            "field": "Idempotency-Key",
        }
    }
    assert hiker_groups() == []
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.parametrize("key", ["k", "a" * 128, "order:2024-01-01_abc.DEF-9"])
def test_well_formed_keys_are_accepted(client_en, key):
    assert post(client_en, key=key).status_code == 201
    assert IdempotencyRecord.objects.get().key == key


def test_a_key_on_a_safe_method_is_ignored(client_en):
    response = client_en.get("/core-tests/log", headers={"Idempotency-Key": "key-1"})
    assert response.status_code == 200
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.parametrize("status", [401, 403, 408, 429, 500, 503])
def test_answers_that_depend_on_the_moment_are_not_stored(client_en, status):
    path = f"{WRITES}/status/{status}"
    first = post(client_en, path=path)
    second = post(client_en, path=path)

    assert (first.status_code, second.status_code) == (status, status)
    assert (first.json()["call"], second.json()["call"]) == (1, 2)
    assert "Idempotent-Replayed" not in second
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.parametrize("status", [200, 400, 404, 409, 422])
def test_final_answers_are_stored_and_replayed(client_en, status):
    path = f"{WRITES}/status/{status}"
    first = post(client_en, path=path)
    second = post(client_en, path=path)

    assert (first.status_code, second.status_code) == (status, status)
    assert second.json() == {"status": status, "call": 1}
    assert second["Idempotent-Replayed"] == "true"
    assert test_views.calls[f"status-{status}"] == 1


def test_a_crashed_view_leaves_no_record_so_a_retry_runs_again():
    client = Client(raise_request_exception=False)

    assert post(client, path=f"{WRITES}/explode").status_code == 500
    assert IdempotencyRecord.objects.count() == 0
    assert post(client, path=f"{WRITES}/explode").status_code == 500
    assert test_views.calls["explode"] == 2


def in_progress_record(*, age: timedelta) -> IdempotencyRecord:
    request = RequestFactory().post(GROUPS, data=BODY, content_type="application/json")
    record = IdempotencyRecord.objects.create(
        scope=ANONYMOUS_SCOPE,
        key="key-1",
        method="POST",
        path=GROUPS,
        request_hash=request_fingerprint(request),
    )
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - age)
    record.refresh_from_db()
    return record


@pytest.mark.parametrize("age", [timedelta(0), timedelta(seconds=59)])
def test_a_copy_arriving_while_the_first_runs_gets_409_in_progress(client_en, age):
    record = in_progress_record(age=age)

    response = post(client_en)

    assert response.status_code == 409
    assert response["Retry-After"] == "1"
    assert response.json() == {
        "error": {
            "code": "idempotency_request_in_progress",
            "message": "A request with this Idempotency-Key is still being processed.",
            "field": "Idempotency-Key",
        }
    }
    assert test_views.calls["create_group"] == 0
    assert hiker_groups() == []
    unchanged = IdempotencyRecord.objects.get()
    assert (unchanged.state, unchanged.created_at) == ("in_progress", record.created_at)


def test_a_record_abandoned_for_over_a_minute_is_taken_over(client_en):
    record = in_progress_record(age=timedelta(seconds=61))

    response = post(client_en)

    assert response.status_code == 201
    assert response.json()["name"] == "hikers #1"
    assert hiker_groups() == ["hikers #1"]
    taken_over = IdempotencyRecord.objects.get()
    assert taken_over.pk == record.pk
    assert taken_over.state == "completed"
    assert taken_over.response_status == 201
    assert taken_over.created_at > record.created_at
    # and from now on it replays
    assert post(client_en).content == response.content
    assert test_views.calls["create_group"] == 1


def test_two_users_with_the_same_key_do_not_share_answers():
    alice, bob = UserFactory(), UserFactory()
    alice_client, bob_client = Client(), Client()
    alice_client.force_login(alice)
    bob_client.force_login(bob)

    alice_answer = post(alice_client)
    bob_answer = post(bob_client)

    assert (alice_answer.status_code, bob_answer.status_code) == (201, 201)
    assert alice_answer.json()["name"] == "hikers #1"
    assert bob_answer.json()["name"] == "hikers #2"
    assert "Idempotent-Replayed" not in bob_answer
    assert sorted(IdempotencyRecord.objects.values_list("scope", flat=True)) == sorted(
        [f"user:{alice.pk}", f"user:{bob.pk}"]
    )
    # each still gets their own answer replayed
    assert post(alice_client).content == alice_answer.content
    assert post(bob_client).content == bob_answer.content
    assert hiker_groups() == ["hikers #1", "hikers #2"]


def test_a_token_caller_and_their_session_share_one_scope():
    user = UserFactory()
    token = token_pair_issue(user=user).access_token
    token_client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    session_client = Client()
    session_client.force_login(user)

    first = post(token_client)
    retry = post(session_client)

    assert first.status_code == 201
    assert retry.content == first.content
    assert retry["Idempotent-Replayed"] == "true"
    assert records() == [(f"user:{user.pk}", "key-1", "POST", GROUPS, "completed", 201)]
    assert hiker_groups() == ["hikers #1"]


def test_old_records_are_purged(settings):
    settings.IDEMPOTENCY_TTL_HOURS = 24
    for key, hours in (("fresh", 1), ("almost", 23), ("stale", 25), ("ancient", 24 * 30)):
        record = IdempotencyRecord.objects.create(
            scope=ANONYMOUS_SCOPE, key=key, method="POST", path=GROUPS, request_hash="x"
        )
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            created_at=timezone.now() - timedelta(hours=hours)
        )

    assert purge_idempotency_records() == 2

    assert sorted(IdempotencyRecord.objects.values_list("key", flat=True)) == ["almost", "fresh"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_copies_run_the_view_once():
    copies = 20
    others_answered = threading.Event()
    test_views.gate.release = others_answered  # the first copy waits until the rest are refused
    start = threading.Barrier(copies)
    answers: list[tuple[int, dict, str | None]] = []
    answers_lock = threading.Lock()
    errors: list[BaseException] = []

    def send() -> None:
        try:
            client = Client(HTTP_ACCEPT_LANGUAGE="en")
            start.wait(timeout=30)
            response = post(client, key="race-key")
            with answers_lock:
                answers.append(
                    (response.status_code, response.json(), response.get("Idempotent-Replayed"))
                )
                refused = sum(1 for status, _, _ in answers if status == 409)
                if refused == copies - 1:
                    others_answered.set()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert not any(thread.is_alive() for thread in threads)
    assert test_views.calls["create_group"] == 1
    assert hiker_groups() == ["hikers #1"]
    created = [answer for answer in answers if answer[0] == 201]
    refused = [answer for answer in answers if answer[0] == 409]
    assert len(created) == 1
    assert created[0][1]["name"] == "hikers #1"
    assert created[0][2] is None
    assert len(refused) == copies - 1
    assert {answer[1]["error"]["code"] for answer in refused} == {"idempotency_request_in_progress"}
    assert records() == [(ANONYMOUS_SCOPE, "race-key", "POST", GROUPS, "completed", 201)]
    # after the race the key replays the one answer
    replay = post(Client(), key="race-key")
    assert replay.status_code == 201
    assert replay.json() == created[0][1]
    assert replay["Idempotent-Replayed"] == "true"


# --- views that decide first (claimed_by_view) ------------------------------------------------

DECIDE_FIRST = f"{WRITES}/decide-first"


def test_a_refusal_before_the_claim_writes_no_record_and_a_retry_decides_again(client_en):
    test_views.shelf.left = 0

    first = post(client_en, path=DECIDE_FIRST, key="sold-out-key")
    retry = post(client_en, path=DECIDE_FIRST, key="sold-out-key")

    assert (first.status_code, retry.status_code) == (409, 409)
    assert (first.json()["error"]["call"], retry.json()["error"]["call"]) == (1, 2)
    assert "Idempotent-Replayed" not in retry
    assert IdempotencyRecord.objects.count() == 0
    assert hiker_groups() == []


def test_a_refused_key_is_decided_again_once_there_is_something_to_sell(client_en):
    test_views.shelf.left = 0
    assert post(client_en, path=DECIDE_FIRST, key="k").status_code == 409
    test_views.shelf.left = 1  # a unit came back

    bought = post(client_en, path=DECIDE_FIRST, key="k")

    assert bought.status_code == 201
    assert hiker_groups() == ["hikers [k]"]
    assert records() == [(ANONYMOUS_SCOPE, "k", "POST", DECIDE_FIRST, "completed", 201)]


def test_a_sale_is_claimed_and_replayed_even_once_the_view_would_refuse(client_en):
    sold = post(client_en, path=DECIDE_FIRST, key="k")
    assert test_views.shelf.left == 0

    retry = post(client_en, path=DECIDE_FIRST, key="k")

    assert sold.status_code == 201
    assert retry.status_code == 201
    assert retry.content == sold.content
    assert retry["Idempotent-Replayed"] == "true"
    assert hiker_groups() == ["hikers [k]"]
    assert records() == [(ANONYMOUS_SCOPE, "k", "POST", DECIDE_FIRST, "completed", 201)]
    # another key is refused, and records nothing
    assert post(client_en, path=DECIDE_FIRST, key="other").status_code == 409
    assert IdempotencyRecord.objects.count() == 1


def test_after_a_sale_the_same_key_with_another_body_is_still_key_reused(client_en):
    post(client_en, path=DECIDE_FIRST, key="k")

    response = post(client_en, path=DECIDE_FIRST, body=json.dumps({"name": "bikers"}), key="k")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert hiker_groups() == ["hikers [k]"]


def test_a_refused_copy_of_a_sale_in_progress_says_in_progress(client_en):
    test_views.shelf.left = 0  # the copy in progress took the last unit
    copy = RequestFactory().post(DECIDE_FIRST, data=BODY, content_type="application/json")
    IdempotencyRecord.objects.create(
        scope=ANONYMOUS_SCOPE,
        key="key-1",
        method="POST",
        path=DECIDE_FIRST,
        request_hash=request_fingerprint(copy),
    )

    response = post(client_en, path=DECIDE_FIRST)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_request_in_progress"
    assert response["Retry-After"] == "1"
    assert hiker_groups() == []


def test_a_failure_after_the_claim_leaves_the_claim_for_the_next_copy_to_take_over():
    client = Client(raise_request_exception=False)
    test_views.shelf.fail_after_write = True

    crashed = post(client, path=DECIDE_FIRST, key="k")

    assert crashed.status_code == 500
    assert hiker_groups() == ["hikers [k]"]  # the write committed before the crash
    assert IdempotencyRecord.objects.get().state == "in_progress"
    retry = post(client, path=DECIDE_FIRST, key="k")  # at once: no minute to wait
    assert retry.status_code == 201
    assert retry.json()["name"] == "hikers [k]"
    assert "Idempotent-Replayed" not in retry
    assert hiker_groups() == ["hikers [k]"]
    assert records() == [(ANONYMOUS_SCOPE, "k", "POST", DECIDE_FIRST, "completed", 201)]
    assert post(client, path=DECIDE_FIRST, key="k")["Idempotent-Replayed"] == "true"


def test_other_views_are_still_claimed_before_they_run(client_en):
    assert idempotency.claimed_by_view("core-tests-decide-first") == test_views.DECIDE_FIRST
    post(client_en, path=f"{WRITES}/status/409")
    assert records() == [
        (ANONYMOUS_SCOPE, "key-1", "POST", f"{WRITES}/status/409", "completed", 409)
    ]


def test_a_url_that_resolves_to_no_view_claims_nothing(client_en):
    response = post(client_en, path=f"{WRITES}/nowhere")
    assert response.status_code == 404
    assert IdempotencyRecord.objects.count() == 0


def test_key_was_claimed_reads_the_record_of_this_caller_only():
    alice, bob = UserFactory(), UserFactory()
    IdempotencyRecord.objects.create(
        scope=f"user:{alice.pk}", key="k", method="POST", path=DECIDE_FIRST, request_hash="x"
    )
    factory = RequestFactory()

    def asked(user, key: str | None) -> bool:
        request = factory.post(DECIDE_FIRST, data=BODY, content_type="application/json")
        request.user = user
        if key is not None:
            setattr(request, idempotency._PENDING_ATTRIBUTE, idempotency._Pending(key=key))
        return idempotency.key_was_claimed(request)

    assert asked(alice, "k") is True
    assert asked(alice, "other") is False
    assert asked(bob, "k") is False
    assert asked(alice, None) is False  # no key sent: nothing to have claimed


# --- multipart bodies too large to hold in memory ------------------------------------------------


def streamed_upload(content: bytes, *, caption: str = "hello"):
    """A multipart request whose form was already parsed from the stream (as the input guard
    does for bodies over DATA_UPLOAD_MAX_MEMORY_SIZE): request.body is gone."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    request = RequestFactory().post(
        "/api/v1/me/avatar",
        {"caption": caption, "avatar": SimpleUploadedFile("a.png", content, "image/png")},
    )
    request.POST  # noqa: B018  (reads the stream: request.body cannot be read any more)
    return request


def test_a_streamed_multipart_body_is_fingerprinted_from_its_fields_and_files():
    first = request_fingerprint(streamed_upload(b"\x89PNG one"))
    same = request_fingerprint(streamed_upload(b"\x89PNG one"))
    other_file = request_fingerprint(streamed_upload(b"\x89PNG two"))
    other_field = request_fingerprint(streamed_upload(b"\x89PNG one", caption="bye"))

    assert first == same
    assert len({first, other_file, other_field}) == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_claim_and_the_stored_answer_commit_without_waiting_for_the_disk(client_en):
    """Two of a keyed write's three commits no longer wait for a WAL flush; the view's own
    commit still does (and flushes the claim with it)."""
    statements: list[str] = []

    def remember(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(remember):
        response = post(client_en)
    assert response.status_code < 300
    marks = [n for n, sql in enumerate(statements) if "synchronous_commit" in sql]
    assert [statements[n + 1].split()[:3] for n in marks] == [
        ["INSERT", "INTO", '"core_idempotencyrecord"'],
        ["UPDATE", '"core_idempotencyrecord"', "SET"],
    ]
    assert post(client_en).content == response.content  # replayed from the stored answer
    assert len(hiker_groups()) == 1
