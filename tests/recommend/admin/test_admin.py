"""The recommender's back office: who gets in, the version list and detail, activation and
rollback through the version services (refusals shown, nothing changed), "Train now", the
activation history and the statistics page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.test import Client

from circlemart.recommend.models import ActivationLog, ModelVersion, ServingSlot
from tests.accounts.factories import UserFactory
from tests.recommend.admin.models import ready_version

pytestmark = pytest.mark.django_db

VERSIONS = "/admin/recommend/modelversion/"
STATS = "/admin/recommend/modelversion/stats/"
HISTORY = "/admin/recommend/activationlog/"


def _client(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _messages(response: HttpResponse) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]  # type: ignore[attr-defined]


def _serving_id() -> int | None:
    return ServingSlot.objects.filter(name="default").values_list("version_id", flat=True).first()


@pytest.fixture
def admin_user() -> Any:
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def office(admin_user: Any) -> Client:
    return _client(admin_user)


@pytest.fixture
def two_versions(model_dir: Path) -> tuple[ModelVersion, ModelVersion]:
    old = ready_version(
        model_dir,
        "v-old",
        metrics={"ndcg@10": 0.1234, "recall@10": 0.2, "coverage": 0.5, "map@10": 0.05},
        trained_on={"users": 1200, "items": 300, "interactions": 45000},
    )
    new = ready_version(model_dir, "v-new", metrics={"validation_ndcg_at_10": 0.15})
    return old, new


def _activate(client: Client, version: ModelVersion) -> HttpResponse:
    return client.post(f"{VERSIONS}{version.pk}/activate/", follow=True)  # type: ignore[return-value]


# --- who gets in -------------------------------------------------------------------------------


def test_pages_send_a_shopper_to_the_login(two_versions: Any) -> None:
    shopper = _client(UserFactory())
    old, _new = two_versions

    for url in (VERSIONS, f"{VERSIONS}{old.pk}/change/", STATS, HISTORY, f"{VERSIONS}train/"):
        response = shopper.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url


def test_staff_need_the_view_permission_and_the_change_permission_to_switch(
    two_versions: Any,
) -> None:
    old, _new = two_versions
    clerk = UserFactory(is_staff=True)
    denied = _client(clerk).get(STATS)
    clerk.user_permissions.add(Permission.objects.get(codename="view_modelversion"))
    viewer = _client(clerk)

    assert denied.status_code == 403
    assert viewer.get(STATS).status_code == 200
    assert viewer.get(VERSIONS).status_code == 200
    assert viewer.post(f"{VERSIONS}{old.pk}/activate/").status_code == 403
    assert viewer.post(f"{VERSIONS}rollback/").status_code == 403
    assert viewer.post(f"{VERSIONS}train/").status_code == 403
    assert _serving_id() is None


# --- the list and the detail ------------------------------------------------------------------


def test_the_list_shows_status_progress_counts_metrics_and_the_serving_marker(
    office: Client, two_versions: Any
) -> None:
    old, _new = two_versions
    ServingSlot.objects.create(name="default", version=old)
    training = ModelVersion.objects.create(
        label="v-next", status=ModelVersion.Status.TRAINING, progress=0.42, progress_note="EASE"
    )

    response = office.get(VERSIONS)

    page = response.content.decode()
    assert response.status_code == 200
    assert [v.label for v in response.context["cl"].result_list] == ["v-next", "v-new", "v-old"]
    assert "users 1,200 · products 300 · interactions 45,000" in page
    for shown in ("0.1234", "0.2000", "0.5000"):  # v-old's offline metrics
        assert shown in page
    assert "0.1500" in page  # v-new: the job's validation_ndcg_at_10
    assert page.count('data-testid="serving-marker"') == 1
    assert f'data-testid="status-{training.pk}">training 42%' in page
    assert '<progress class="cm-rec-progress" max="100" value="42"' in page
    assert 'http-equiv="refresh"' in page  # the bar moves while the model trains
    for button in ("train/", "rollback/", "open-stats/", "open-history/"):
        assert f'href="{VERSIONS}{button}"' in page


def test_the_list_does_not_reload_itself_when_nothing_trains(
    office: Client, two_versions: Any
) -> None:
    assert 'http-equiv="refresh"' not in office.get(VERSIONS).content.decode()


def test_the_detail_shows_every_metric_and_the_activation_history(
    office: Client, two_versions: Any, admin_user: Any
) -> None:
    old, new = two_versions
    ActivationLog.objects.create(version=old, actor=admin_user, reason="first switch")

    response = _client(admin_user, "zh-hans").get(f"{VERSIONS}{old.pk}/change/")

    page = response.content.decode()
    assert response.status_code == 200
    metrics = page.split('data-testid="metrics"')[1].split("</table>")[0]
    assert "<th>map@10</th><td>0.0500</td>" in metrics
    assert "<th>ndcg@10</th><td>0.1234</td>" in metrics
    assert "<th>interactions</th><td>45,000</td>" in page
    assert "first switch" in page.split('data-testid="history"')[1]
    assert f"{VERSIONS}{old.pk}/activate/" in page
    assert new.label not in page


# --- switching ---------------------------------------------------------------------------------


def test_activate_asks_first_then_switches_and_logs(office: Client, two_versions: Any) -> None:
    old, _new = two_versions

    confirm = office.get(f"{VERSIONS}{old.pk}/activate/")
    assert confirm.status_code == 200
    assert 'data-testid="activate-form"' in confirm.content.decode()
    assert _serving_id() is None  # looking at the question changes nothing

    done = _activate(office, old)

    assert _serving_id() == old.pk
    assert ActivationLog.objects.filter(version=old).count() == 1
    assert _messages(done) == ["v-old now serves recommendations."]


def test_a_corrupt_model_file_is_refused_and_nothing_moves(
    office: Client, two_versions: Any, model_dir: Path
) -> None:
    old, new = two_versions
    _activate(office, old)
    path = model_dir / new.artifact
    payload = bytearray(path.read_bytes())
    payload[len(payload) // 2] ^= 0xFF
    path.write_bytes(bytes(payload))

    refused = _activate(office, new)

    assert _serving_id() == old.pk
    assert ActivationLog.objects.count() == 1
    [message] = _messages(refused)
    assert message.startswith("v-new: ")


def test_a_model_from_another_catalogue_is_refused(
    office: Client, two_versions: Any, model_dir: Path
) -> None:
    old, _new = two_versions
    _activate(office, old)
    foreign = ready_version(
        model_dir, "v-foreign", catalogue_id="00000000-0000-4000-8000-000000000001"
    )

    refused = _activate(office, foreign)

    assert _serving_id() == old.pk
    assert ActivationLog.objects.count() == 1
    assert _messages(refused)[0].startswith("v-foreign: ")


def test_a_version_still_training_cannot_be_activated(office: Client) -> None:
    training = ModelVersion.objects.create(label="v-busy", status=ModelVersion.Status.TRAINING)

    refused = _activate(office, training)

    assert _serving_id() is None
    assert _messages(refused)[0].startswith("v-busy: ")


def test_roll_back_returns_to_the_version_that_served_before(
    office: Client, two_versions: Any
) -> None:
    old, new = two_versions
    _activate(office, old)
    _activate(office, new)

    confirm = office.get(f"{VERSIONS}rollback/")
    assert "v-old" in confirm.content.decode()  # what it goes back to
    done = office.post(f"{VERSIONS}rollback/", follow=True)

    assert _serving_id() == old.pk
    assert _messages(done) == ["Rolled back: v-old serves again."]


def test_roll_back_without_a_previous_model_is_refused(office: Client, two_versions: Any) -> None:
    old, _new = two_versions
    _activate(office, old)
    logged = ActivationLog.objects.count()

    refused = office.post(f"{VERSIONS}rollback/", follow=True)

    assert _serving_id() == old.pk
    assert ActivationLog.objects.count() == logged
    assert len(_messages(refused)) == 1
    assert "Rolled back" not in _messages(refused)[0]


# --- training ------------------------------------------------------------------------------------


def test_train_now_queues_the_scheduled_task_once_after_commit(
    office: Client, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    from circlemart.recommend import tasks

    queued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks.retrain, "delay", lambda *args, **kwargs: queued.append(kwargs))

    assert 'data-testid="train-form"' in office.get(f"{VERSIONS}train/").content.decode()
    assert queued == []
    with django_capture_on_commit_callbacks(execute=True):
        done = office.post(f"{VERSIONS}train/", follow=True)

    assert queued == [{"force": True}]
    assert _messages(done)[0].startswith("Training has been queued.")


def test_train_now_is_refused_while_a_model_trains(
    office: Client, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    from circlemart.recommend import tasks

    queued: list[Any] = []
    monkeypatch.setattr(tasks.retrain, "delay", lambda *args, **kwargs: queued.append(args))
    ModelVersion.objects.create(label="v-busy", status=ModelVersion.Status.TRAINING)

    with django_capture_on_commit_callbacks(execute=True):
        refused = office.post(f"{VERSIONS}train/", follow=True)

    assert queued == []
    assert _messages(refused) == ["A model is training already; wait until it finishes."]


def test_the_activation_history_lists_every_switch(office: Client, two_versions: Any) -> None:
    old, new = two_versions
    _activate(office, old)
    _activate(office, new)

    response = office.get(HISTORY)

    rows = list(response.context["cl"].result_list)
    assert [(row.version_id, row.previous_version_id) for row in rows] == [
        (new.pk, old.pk),
        (old.pk, None),
    ]


# --- navigation, home card ------------------------------------------------------------------------


def test_the_sidebar_links_the_statistics_page_beside_the_versions(office: Client) -> None:
    from django.test import RequestFactory

    from circlemart.analytics.dashboards.navigation import sidebar

    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_superuser=True, is_staff=True)

    links = [item["link"] for group in sidebar(request) for item in group["items"]]

    assert STATS in links
    assert links.index(STATS) == links.index(VERSIONS) + 1


def test_the_back_office_home_has_a_recommendations_card(office: Client, two_versions: Any) -> None:
    from circlemart.recommend.models import Impression, RecommendationClick

    old, _new = two_versions
    ServingSlot.objects.create(name="default", version=old)
    from django.utils import timezone

    now = timezone.now()
    for position in range(4):
        Impression.objects.create(
            list_id="6f1c2f7e8d1e4f439a570c1b2d3e4f50",
            surface="for_you",
            position=position,
            object_id=position + 1,
            served_at=now,
        )
    RecommendationClick.objects.create(
        list_id="6f1c2f7e8d1e4f439a570c1b2d3e4f50",
        surface="for_you",
        position=0,
        object_id=1,
        clicked_at=now,
    )

    tiles = {tile.key: tile for tile in office.get("/admin/").context["dashboard_tiles"]}

    assert tiles["recommend"].value == "25.0%"
    assert tiles["recommend"].hint == "1 clicks / 4 shown · v-old serving"
    assert tiles["recommend"].link == STATS


def test_the_statistics_page_has_charts_tables_and_periods(office: Client) -> None:
    response = office.get(STATS, {"days": "30"})
    page = response.content.decode()

    assert response.status_code == 200
    assert response.context["days"] == 30
    assert 'aria-current="page" data-testid="period-30"' in page
    assert 'data-testid="no-data"' in page  # nothing served yet: no empty charts
    assert office.get(STATS, {"days": "9999"}).context["days"] == 14  # not offered: the default


def test_train_now_is_not_held_back_by_a_recent_model(
    office: Client,
    model_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.utils import timezone

    from circlemart.recommend import tasks

    queued: list[Any] = []
    monkeypatch.setattr(tasks.retrain, "delay", lambda *args, **kwargs: queued.append(kwargs))
    ready_version(model_dir, "v-fresh", finished_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        office.post(f"{VERSIONS}train/", follow=True)

    assert queued == [{"force": True}]  # the nightly job would skip it; a person asked
