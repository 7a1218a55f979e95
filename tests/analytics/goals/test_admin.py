"""The back office of growth goals: the list, the add form and each goal's chart page."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client

from circlemart.accounts.contracts import Role
from circlemart.analytics.goals import services
from circlemart.analytics.models import GrowthGoal
from circlemart.notifications.models import Notification
from tests.accounts.factories import UserFactory
from tests.analytics.goals.factories import daily, days_ago, staff, today

pytestmark = pytest.mark.django_db


def signed_in(user: object, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)  # type: ignore[arg-type]
    return client


def goal(**overrides: object) -> GrowthGoal:
    daily("dau", [100.0 + day for day in range(28)])
    fields: dict[str, object] = {
        "name": "DAU +30%",
        "metric": "dau",
        "baseline_start": days_ago(28),
        "baseline_end": days_ago(1),
        "target": "+30%",
        "start_date": today(),
        "deadline": today() + timedelta(days=90),
        "owner_id": None,
    }
    fields.update(overrides)
    return services.goal_create(**fields)  # type: ignore[arg-type]


def chart_url(pk: int) -> str:
    return f"/admin/analytics/growthgoal/{pk}/chart/"


def test_an_analyst_sees_the_goal_page_with_its_chart_figure() -> None:
    analyst = staff(Role.ANALYST)
    made = goal()

    response = signed_in(analyst).get(chart_url(made.pk))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="goal-status" data-status="on_track"' in page
    assert '<script id="goal-figure" type="application/json">' in page
    assert "analytics/vendor/plotly.min.js" in page
    assert "analytics/goals/goal_chart.js" in page
    figure = response.context["figure"]
    names = [trace["name"] for trace in figure["data"]]
    assert names == ["Forecast interval (80%)", "Forecast", "Path to target", "Actual", "Target"]
    actual = figure["data"][3]
    assert actual["x"][-1] == days_ago(1).isoformat()
    assert actual["y"][-1] == pytest.approx(127.0)
    path = figure["data"][2]
    assert path["y"] == [pytest.approx(made.baseline_value), pytest.approx(made.target_value)]
    forecast = figure["data"][1]
    assert forecast["x"][-1] == made.deadline.isoformat()
    assert forecast["y"][-1] == pytest.approx(made.forecast_value)
    # The figure travels as JSON in the page, never as an inline script.
    assert "<script>" not in page


def test_the_goal_page_speaks_chinese() -> None:
    analyst = staff(Role.ANALYST)
    made = goal()

    response = signed_in(analyst, "zh-hans").get(chart_url(made.pk))

    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.content.decode()


def test_a_shopper_is_refused_and_a_visitor_sent_to_sign_in() -> None:
    made = goal()

    assert signed_in(UserFactory()).get(chart_url(made.pk)).status_code == 403
    assert signed_in(staff(Role.MODERATOR)).get(chart_url(made.pk)).status_code == 403
    anonymous = Client().get(chart_url(made.pk))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")


def test_the_goal_list_shows_status_badges() -> None:
    analyst = staff(Role.ANALYST)
    goal()

    response = signed_in(analyst).get("/admin/analytics/growthgoal/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "DAU +30%" in page
    assert "on track" in page
    assert 'data-testid="goal-chart-link"' in page


def test_the_add_form_takes_a_relative_target_and_opens_the_chart() -> None:
    analyst = staff(Role.ANALYST)
    daily("dau", [100.0] * 28)
    client = signed_in(analyst)

    response = client.post(
        "/admin/analytics/growthgoal/add/",
        {
            "name": "DAU +30% in 3 months",
            "metric": "dau",
            "aggregation": "level",
            "baseline_start": days_ago(28).isoformat(),
            "baseline_end": days_ago(1).isoformat(),
            "target": "+30%",
            "start_date": today().isoformat(),
            "deadline": (today() + timedelta(days=91)).isoformat(),
        },
    )

    made = GrowthGoal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == chart_url(made.pk)
    assert (made.target_value, made.target_percent, made.owner_id) == (
        pytest.approx(130.0),
        30.0,
        analyst.pk,
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"target": "lots"}, "target", "Enter a number (1200, 40%) or a change from the baseline"),
        (
            {"baseline_start": days_ago(1).isoformat(), "baseline_end": days_ago(20).isoformat()},
            "baseline_end",
            "The baseline window ends before it starts.",
        ),
        ({"deadline": days_ago(2).isoformat()}, "deadline", "The deadline must be in the future."),
    ],
)
def test_the_add_form_shows_the_service_error_on_its_field(
    changes: dict[str, str], field: str, message: str
) -> None:
    analyst = staff(Role.ANALYST)
    daily("dau", [100.0] * 28)
    data = {
        "name": "DAU",
        "metric": "dau",
        "aggregation": "level",
        "baseline_start": days_ago(28).isoformat(),
        "baseline_end": days_ago(1).isoformat(),
        "target": "+30%",
        "start_date": today().isoformat(),
        "deadline": (today() + timedelta(days=91)).isoformat(),
        **changes,
    }

    response = signed_in(analyst).post("/admin/analytics/growthgoal/add/", data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field]
    assert errors[field][0].startswith(message)
    assert GrowthGoal.objects.count() == 0


def test_the_warning_reaches_the_owners_inbox_and_leads_to_the_goal() -> None:
    owner = staff(Role.ANALYST)
    daily("dau", [100.0] * 28)
    made = services.goal_create(
        name="DAU +30%",
        metric="dau",
        baseline_start=days_ago(28),
        baseline_end=days_ago(1),
        target="+30%",
        start_date=today(),
        deadline=today() + timedelta(days=90),
        owner_id=owner.pk,
    )
    assert made.status == "off_track"
    client = signed_in(owner)

    inbox = client.get("/inbox/").content.decode()

    assert "A growth goal is off track" in inbox
    assert "DAU +30%" in inbox
    assert f'name="go" value="{chart_url(made.pk)}"' in inbox
    notification = Notification.objects.get(recipient=owner)
    read = client.post(f"/inbox/{notification.pk}/read/", {"go": chart_url(made.pk)})
    assert read["Location"] == chart_url(made.pk)


def test_the_figure_is_valid_json_in_the_page() -> None:
    analyst = staff(Role.ANALYST)
    made = goal(name="GMV", metric="gmv", aggregation="period_total", target=5000)

    page = signed_in(analyst).get(chart_url(made.pk)).content.decode()

    start = page.index('<script id="goal-figure" type="application/json">') + len(
        '<script id="goal-figure" type="application/json">'
    )
    figure = json.loads(page[start : page.index("</script>", start)])
    assert {trace["name"] for trace in figure["data"]} >= {"Actual", "Path to target"}
    assert figure["layout"]["height"] == 420


def test_the_add_form_explains_targets_and_a_goal_reads_as_a_record() -> None:
    analyst = staff(Role.ANALYST)
    made = goal()
    client = signed_in(analyst)

    add = client.get("/admin/analytics/growthgoal/add/")
    record = client.get(f"/admin/analytics/growthgoal/{made.pk}/change/")

    assert add.status_code == 200
    assert "A change from the baseline such as +30% or -10%" in add.content.decode()
    assert record.status_code == 200
    assert 'name="target_value"' not in record.content.decode()  # read-only: no inputs
