"""Free orders in production (issue 11 item 1): the test gateway exists only in explicit test
mode, and `check --deploy` refuses a production configuration that enables it. Run as an
operator would: the `circlemart` command in a subprocess with production environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import Resolver404, resolve

from circlemart.payments import checks, services
from circlemart.payments.providers import load_provider, provider_path
from tests.config.test_cli import circlemart

PRODUCTION = {
    "HTTPS": "1",
    "DEBUG": "0",
    "PAYMENTS_TEST_MODE": "0",
    "ALLOWED_HOSTS": "shop.example.com",
    "SECRET_KEY": "x" * 20 + "production-only-secret-value-0123456789abcdef",
}
RESOLVE_PAY_PAGE = (
    "from django.urls import resolve, Resolver404\n"
    "from django.conf import settings\n"
    "try:\n"
    "    resolve('/payments/test-gateway/pay/sometoken/'); print('pay-page-exists')\n"
    "except Resolver404:\n"
    "    print('no-pay-page')\n"
    "print('providers', settings.PAYMENT_PROVIDERS)\n"
)


@pytest.mark.slow
def test_a_production_configuration_has_no_test_gateway(tmp_path: Path):
    shell = circlemart(tmp_path, "shell", "--no-imports", "-c", RESOLVE_PAY_PAGE, **PRODUCTION)
    deploy = circlemart(tmp_path, "check", "--deploy", **PRODUCTION)

    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.split("\n")[:2] == ["no-pay-page", "providers []"]
    assert "payments.E010" not in deploy.stdout + deploy.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"PAYMENT_PROVIDERS": "test_gateway"}, {"payments.E010", "payments.E001"}),
        ({"PAYMENTS_TEST_MODE": "1"}, {"payments.E010", "payments.E011"}),
    ],
)
def test_check_deploy_fails_on_a_production_configuration_with_the_test_gateway(
    tmp_path: Path, extra: dict[str, str], expected: set[str]
):
    deploy = circlemart(tmp_path, "check", "--deploy", **{**PRODUCTION, **extra})

    output = deploy.stdout + deploy.stderr
    assert deploy.returncode == 1, output
    assert all(code in output for code in expected), output


def test_the_test_gateway_refuses_to_load_without_test_mode(settings):
    settings.PAYMENTS_TEST_MODE = False

    with pytest.raises(Exception, match="PAYMENTS_TEST_MODE=1"):
        load_provider(provider_path("test_gateway"))
    assert {message.id for message in checks.check_payment_settings()} == {"payments.E001"}


@pytest.mark.django_db
def test_without_test_mode_no_order_can_be_paid_through_the_test_gateway(settings):
    settings.PAYMENTS_TEST_MODE = False

    with pytest.raises(services.Conflict) as refusal:
        services.payment_start(
            order_number="CM3001",
            buyer_id=1,
            amount=100,
            currency="CNY",
            return_url="/orders/CM3001/",
            idempotency_key="order:CM3001",
        )

    assert refusal.value.code == "no_payment_provider"


def test_the_deploy_check_is_quiet_for_real_providers_and_loud_for_test_mode(settings):
    settings.PAYMENTS_TEST_MODE = False
    settings.PAYMENT_PROVIDERS = []
    quiet = checks.check_no_test_payments_in_production()
    settings.PAYMENTS_TEST_MODE = True
    settings.PAYMENT_PROVIDERS = ["test_gateway"]
    loud = checks.check_no_test_payments_in_production()

    assert quiet == []
    assert [message.id for message in loud] == ["payments.E010", "payments.E011"]


def test_in_test_mode_the_pay_page_route_exists():
    assert resolve("/payments/test-gateway/pay/sometoken/").url_name == "test-gateway-pay"
    with pytest.raises(Resolver404):
        resolve("/payments/test-gateway/nothing/")


def test_the_deploy_check_warns_about_provider_sandboxes(settings):
    settings.PAYMENTS_TEST_MODE = False
    settings.PAYMENT_PROVIDERS = ["stripe", "alipay"]
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.ALIPAY_SANDBOX = True
    sandbox = checks.check_no_test_payments_in_production()
    settings.STRIPE_SECRET_KEY = "sk_live_123"
    settings.ALIPAY_SANDBOX = False
    live = checks.check_no_test_payments_in_production()

    assert [message.id for message in sandbox] == ["payments.W010", "payments.W011"]
    assert live == []
