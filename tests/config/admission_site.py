"""The URLs of the admission-control integration tests (tests/config/test_admission_server.py):
a slow page and a slow API endpoint that hold a thread until the test releases them, beside
the real health check; the real settings and middleware (tests.config.admission_settings)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from circlemart.storefront.views import healthz

# How long a slow request holds its thread at most if the test never releases it.
HOLD_AT_MOST_SECONDS = 60.0


def _signals() -> Path:
    return Path(os.environ["ADMISSION_TEST_SIGNALS"])


def _hold(request: HttpRequest) -> None:
    """Say this request is running (a file named by its ?n=), then wait for the release."""
    signals = _signals()
    (signals / f"started-{request.GET.get('n', '0')}").touch()
    deadline = time.monotonic() + HOLD_AT_MOST_SECONDS
    while not (signals / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.01)


def slow_page(request: HttpRequest) -> HttpResponse:
    _hold(request)
    return HttpResponse(f"served {request.GET.get('n', '0')}")


def slow_api(request: HttpRequest) -> JsonResponse:
    _hold(request)
    return JsonResponse({"served": request.GET.get("n", "0")})


urlpatterns = [
    path("slow", slow_page),
    path("api/v1/slow", slow_api),
    path("healthz", healthz),
]
