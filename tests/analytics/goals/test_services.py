"""Growth goals: definition checks, relative targets, evaluation and the at-risk notice."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command

from circlemart.accounts.contracts import Role
from circlemart.analytics.goals import services
from circlemart.analytics.models import GrowthGoal
from circlemart.core.errors import NotFound, ValidationFailed
from circlemart.notifications.models import Notification
from tests.accounts.factories import UserFactory
from tests.analytics.goals.factories import daily, days_ago, staff, today

pytestmark = pytest.mark.django_db


def define(**overrides: object) -> GrowthGoal:
    fields: dict[str, object] = {
        "name": "DAU +30% in 3 months",
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


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"name": "  "}, "name", "required"),
        ({"metric": "happiness"}, "metric", "unknown_metric"),
        ({"aggregation": "median"}, "aggregation", "invalid_choice"),
        (
            {"baseline_start": days_ago(1), "baseline_end": days_ago(28)},
            "baseline_end",
            "range_backwards",
        ),
        ({"baseline_end": today()}, "baseline_end", "baseline_not_over"),
        ({"deadline": days_ago(1)}, "deadline", "deadline_past"),
        ({"deadline": today(), "start_date": days_ago(10)}, "deadline", "deadline_past"),
        (
            {"start_date": today() + timedelta(days=30), "deadline": today() + timedelta(days=20)},
            "deadline",
            "deadline_before_start",
        ),
        ({"baseline_start": days_ago(900)}, "baseline_start", "range_too_long"),
        ({"deadline": today() + timedelta(days=900)}, "deadline", "range_too_long"),
        ({"target": "a lot"}, "target", "target_not_numeric"),
        ({"target": "30%%"}, "target", "target_not_numeric"),
        ({"target": "+"}, "target", "target_not_numeric"),
    ],
)
def test_a_bad_definition_names_its_field_and_stores_nothing(
    overrides: dict[str, object], field: str, code: str
) -> None:
    daily("dau", [100.0] * 28)

    with pytest.raises(ValidationFailed) as refused:
        define(**overrides)

    assert (refused.value.field, refused.value.code) == (field, code)
    assert GrowthGoal.objects.count() == 0


def test_a_relative_target_is_resolved_from_the_baseline_mean() -> None:
    daily("dau", [90.0, 110.0] * 14)  # mean 100

    goal = define(target="+30%")

    assert goal.baseline_value == pytest.approx(100.0)
    assert goal.target_value == pytest.approx(130.0)
    assert (goal.target_kind, goal.target_percent) == ("relative_percent", 30.0)


def test_full_width_and_falling_targets_are_understood() -> None:
    daily("dau", [200.0] * 28)

    assert define(target="＋１０％").target_value == pytest.approx(220.0)
    assert define(target="-10%").target_value == pytest.approx(180.0)


def test_absolute_targets_keep_ratios_as_fractions_and_money_in_minor_units() -> None:
    daily("retention_d1", [0.3] * 28)
    daily("gmv", [50_000.0] * 28)

    retention = define(metric="retention_d1", target="40%")
    gmv = define(metric="gmv", target="1,200,000", aggregation="period_total")
    numeric = define(metric="gmv", target=1500, aggregation="period_total")

    assert (retention.target_kind, retention.target_value) == ("absolute", pytest.approx(0.4))
    assert retention.target_percent is None
    assert gmv.target_value == pytest.approx(120_000_000.0)  # yuan → fen
    assert gmv.baseline_value == pytest.approx(28 * 50_000.0)  # a total's baseline is a total
    assert numeric.target_value == pytest.approx(150_000.0)


def test_a_relative_target_needs_baseline_data() -> None:
    with pytest.raises(ValidationFailed) as refused:
        define(target="+30%")
    assert (refused.value.field, refused.value.code) == ("baseline_start", "no_baseline")

    daily("dau", [0.0] * 28)
    with pytest.raises(ValidationFailed) as zero:
        define(target="+30%")
    assert (zero.value.field, zero.value.code) == ("target", "baseline_zero")
    assert GrowthGoal.objects.count() == 0


def test_a_goal_on_a_steady_climb_is_on_track_with_an_exact_forecast() -> None:
    # DAU grew by one a day for 8 weeks (45 … 100 yesterday): 191 on the deadline, 91 days on.
    daily("dau", [45.0 + day for day in range(56)])

    goal = define(target=150)

    assert goal.status == "on_track"
    assert goal.forecast_value == pytest.approx(100.0 + 91)
    assert goal.forecast_high - goal.forecast_low == pytest.approx(0.0, abs=1e-6)
    assert goal.evaluated_at is not None


def test_too_few_days_of_data_leave_the_status_unknown() -> None:
    daily("dau", [100.0] * 6)

    assert define(target=150).status == "unknown"


def test_a_level_goal_is_achieved_on_the_mean_of_its_last_week() -> None:
    daily("dau", [100.0] * 21 + [160.0] * 7, last_day=days_ago(1))
    goal = define(target=150, start_date=days_ago(7))

    assert goal.status == "achieved"


def test_a_period_total_adds_the_days_in_to_the_forecast_of_the_days_left() -> None:
    # 1 000 yuan of GMV every day for 4 weeks; the year runs from 10 days ago to 89 days ahead.
    daily("gmv", [100_000.0] * 28)

    goal = define(
        metric="gmv",
        aggregation="period_total",
        target=100_000,  # yuan; the period will make 100 × 1 000
        start_date=days_ago(10),
        deadline=today() + timedelta(days=89),
    )

    assert goal.forecast_value == pytest.approx(100 * 100_000.0)
    assert goal.status == "on_track"

    harder = define(
        name="more",
        metric="gmv",
        aggregation="period_total",
        target=120_000,
        start_date=days_ago(10),
        deadline=today() + timedelta(days=89),
    )
    assert harder.status == "off_track"  # a flat line has no interval to hope in


def test_turning_at_risk_tells_the_owner_and_the_analysts_once() -> None:
    owner = staff(Role.ANALYST)
    other_analyst = staff(Role.ANALYST)
    merchant = staff(Role.MERCHANT_STAFF)
    noisy = [100.0 + (-6.0, 6.0, 6.0, -6.0)[day % 4] for day in range(28)]  # level, no slope
    daily("dau", noisy)

    goal = define(target=104, owner_id=owner.pk)

    assert goal.status == "at_risk"
    rows = Notification.objects.filter(kind="goal_at_risk", target_type="goal", target_id=goal.pk)
    assert sorted(rows.values_list("recipient_id", flat=True)) == sorted(
        [owner.pk, other_analyst.pk]
    )
    assert not Notification.objects.filter(recipient=merchant).exists()
    assert rows.get(recipient=owner).excerpt == "DAU +30% in 3 months"

    Notification.objects.update(is_read=True)
    again = services.goal_evaluate(goal_id=goal.pk)
    services.goals_evaluate_all()

    assert (again.previous_status, again.status, again.notified_user_ids) == (
        "at_risk",
        "at_risk",
        [],
    )
    assert Notification.objects.count() == 2
    assert Notification.objects.filter(is_read=False).count() == 0


def test_each_new_transition_is_announced_again() -> None:
    owner = staff(Role.ANALYST)
    daily("dau", [100.0] * 28)
    goal = define(target=130, owner_id=owner.pk, start_date=days_ago(7))
    assert goal.status == "off_track"
    first = Notification.objects.get(recipient=owner, kind="goal_off_track")
    Notification.objects.filter(pk=first.pk).update(is_read=True)

    # The goal recovers (the target is lowered by hand), then falls off track again.
    GrowthGoal.objects.filter(pk=goal.pk).update(target_value=100)
    recovered = services.goal_evaluate(goal_id=goal.pk)
    GrowthGoal.objects.filter(pk=goal.pk).update(target_value=130)
    fallen = services.goal_evaluate(goal_id=goal.pk)

    assert (recovered.status, recovered.notified_user_ids) == ("achieved", [])
    assert (fallen.previous_status, fallen.status, fallen.notified_user_ids) == (
        "achieved",
        "off_track",
        [owner.pk],
    )
    bumped = Notification.objects.get(pk=first.pk)
    assert (bumped.is_read, bumped.actor_count) == (False, 1)
    assert Notification.objects.count() == 1


def test_a_shopper_owner_who_opted_out_is_not_told() -> None:
    from circlemart.notifications.services import preferences_set

    owner = UserFactory()
    preferences_set(user_id=owner.pk, changes={"goal_off_track": False})
    daily("dau", [100.0] * 28)

    goal = define(target=130, owner_id=owner.pk)

    assert goal.status == "off_track"
    assert Notification.objects.count() == 0


def test_after_the_deadline_the_outcome_is_final() -> None:
    daily("dau", [100.0] * 28)
    goal = define(target=101)

    ended = services.goal_evaluate(goal_id=goal.pk, today=goal.deadline + timedelta(days=3))

    assert ended.status == "off_track"
    assert ended.actual is None  # no value was ever recorded inside the goal's period


def test_evaluate_all_skips_goals_long_over_and_unknown_ids_are_404() -> None:
    daily("dau", [100.0] * 28)
    running = define(target=130)
    old = define(name="old", target=130)
    GrowthGoal.objects.filter(pk=old.pk).update(
        start_date=days_ago(200), deadline=days_ago(30), status="unknown"
    )

    evaluated = services.goals_evaluate_all()

    assert [evaluation.goal_id for evaluation in evaluated] == [running.pk]
    assert GrowthGoal.objects.get(pk=old.pk).status == "unknown"
    with pytest.raises(NotFound):
        services.goal_evaluate(goal_id=old.pk + 100)


def test_the_job_evaluates_and_lists_goals() -> None:
    daily("dau", [100.0] * 28)
    goal = define(target=130)
    out = io.StringIO()

    call_command("analytics", "goals", "--evaluate", "--list", stdout=out)

    text = out.getvalue()
    assert f"goal {goal.pk}: off_track\n" in text
    assert "1 goal(s) evaluated." in text
    assert "DAU +30% in 3 months" in text


def test_the_beat_task_evaluates_every_running_goal() -> None:
    from circlemart.analytics.goals.tasks import goals_evaluate_task

    daily("dau", [100.0] * 28)
    define(target=130)
    define(name="second", target=90)

    assert goals_evaluate_task.apply().get() == 2


def test_analysts_may_opt_out_of_goal_notices_and_shoppers_never_see_them() -> None:
    from circlemart.notifications.selectors import preferences

    analyst = staff(Role.ANALYST)
    shopper = UserFactory()

    analyst_kinds = {pref.kind.value for pref in preferences(user_id=analyst.pk)}
    shopper_kinds = {pref.kind.value for pref in preferences(user_id=shopper.pk)}

    assert {"goal_at_risk", "goal_off_track"} <= analyst_kinds
    assert analyst_kinds - shopper_kinds == {"goal_at_risk", "goal_off_track"}


def test_a_day_without_orders_counts_as_zero_but_days_before_any_data_do_not() -> None:
    from circlemart.analytics.goals.selectors import daily_values
    from circlemart.analytics.models import DailyMetric

    daily("gmv", [100.0] * 10)  # days -10 … -1
    DailyMetric.objects.filter(metric="gmv", day=days_ago(5)).delete()  # nothing sold that day

    values = daily_values(metric="gmv", start=days_ago(40), end=days_ago(1))

    assert values[0] == (days_ago(10), 100.0)
    assert len(values) == 10
    assert dict(values)[days_ago(5)] == 0.0
    # Nothing is read past the newest day the rollup has written.
    assert daily_values(metric="gmv", start=days_ago(3), end=today() + timedelta(days=5))[-1][
        0
    ] == days_ago(1)
