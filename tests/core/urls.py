"""Test-only URLs for the core kernel: small views that exercise the middleware and the API
problem answers, mounted in front of the real site (whose templates reverse its URL names)."""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter

from django.contrib.auth.models import Group
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError
from ninja.security import django_auth
from pydantic import Field, field_validator

from circlemart.config.urls import urlpatterns as site_urlpatterns
from circlemart.core import idempotency, problems
from circlemart.core.api_auth import SignedIn
from circlemart.core.errors import Conflict, NotFound, RateLimited
from circlemart.core.schemas import InputSchema

logger = logging.getLogger("tests.core.views")


class ViewGate:
    """Lets a race test hold the idempotent view open until the other requests are answered."""

    def __init__(self) -> None:
        self.release: threading.Event | None = None


gate = ViewGate()
calls_lock = threading.Lock()
calls: Counter[str] = Counter()


def count_call(name: str) -> int:
    with calls_lock:
        calls[name] += 1
        return calls[name]


def create_group(request: HttpRequest) -> JsonResponse:
    """A write worth protecting: creates a row and says which call of the view made it."""
    call = count_call("create_group")
    if gate.release is not None:
        gate.release.wait(timeout=20)
    # the call number keeps names unique, so a second execution shows up as a second row
    name = f"{json.loads(request.body)['name']} #{call}"
    group = Group.objects.create(name=name)
    return JsonResponse({"id": group.pk, "name": group.name, "call": call}, status=201)


class Shelf:
    """What the decide-first view sells: units left, and whether it fails after writing."""

    def __init__(self) -> None:
        self.left = 1
        self.fail_after_write = False


shelf = Shelf()
DECIDE_FIRST = idempotency.claimed_by_view("core-tests-decide-first")


def decide_first(request: HttpRequest) -> HttpResponse:
    """A view that decides before it claims its key, as the flash buy does: a refusal writes
    nothing; a sale claims, then writes a row named after the key (its own service-level
    idempotency: a claimed rerun finds the row instead of writing a second)."""
    call = count_call("decide_first")
    name = f"{json.loads(request.body)['name']} [{request.headers.get('Idempotency-Key')}]"
    if shelf.left <= 0 and not idempotency.key_was_claimed(request):
        return JsonResponse({"error": {"code": "sold_out", "call": call}}, status=409)
    earlier = idempotency.claim(request)
    if earlier is not None:
        return earlier
    group, created = Group.objects.get_or_create(name=name)
    if created:
        shelf.left -= 1
    if shelf.fail_after_write:
        shelf.fail_after_write = False
        raise RuntimeError("the view crashed after its write")
    return JsonResponse({"id": group.pk, "name": group.name, "call": call}, status=201)


def answer_with_status(request: HttpRequest, status: int) -> JsonResponse:
    call = count_call(f"status-{status}")
    return JsonResponse({"status": status, "call": call}, status=status)


def explode(request: HttpRequest) -> HttpResponse:
    count_call("explode")
    raise RuntimeError("the view crashed")


def raise_domain_error(request: HttpRequest, kind: str) -> HttpResponse:
    if kind == "not-found":
        raise NotFound("That parcel was never shipped.")
    if kind == "conflict":
        raise Conflict("Someone else took the last one.", code="out_of_stock")
    raise ValueError("not a domain error")


def log_a_line(request: HttpRequest) -> HttpResponse:
    logger.info("inside the view")
    return HttpResponse(b"logged", content_type="text/plain")


def own_policy(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(b"<p>embeddable</p>")
    response["Content-Security-Policy"] = "frame-ancestors https://partner.example"
    return response


api = NinjaAPI(urls_namespace="core-tests-api", docs_url=None)
problems.install(api)


class SignupIn(Schema):
    email: str
    age: int
    lucky_number: int = 2

    @field_validator("lucky_number")
    @classmethod
    def must_be_even(cls, value: int) -> int:
        if value % 2:
            raise ValueError("must be even")
        return value


@api.post("/signup")
def signup(request: HttpRequest, payload: SignupIn) -> dict[str, str]:
    return {"email": payload.email}


class LinkIn(InputSchema):
    title: str = ""


class ProfileIn(InputSchema):
    nickname: str = Field("", max_length=12)
    bio: str = ""
    link: LinkIn | None = None
    links: list[LinkIn] = []


@api.post("/profile")
def profile(request: HttpRequest, payload: ProfileIn) -> dict[str, object]:
    return payload.dict()


@api.get("/items")
def list_items(request: HttpRequest, page: int = 1) -> dict[str, int]:
    return {"page": page}


@api.get("/conflict")
def conflict(request: HttpRequest) -> dict[str, str]:
    raise Conflict("Only 2 left.", code="out_of_stock", field="sku", extra={"available": 2})


@api.get("/limited")
def limited(request: HttpRequest) -> dict[str, str]:
    raise RateLimited("Slow down.", retry_after=7, field="phone")


@api.get("/missing")
def missing(request: HttpRequest) -> dict[str, str]:
    raise Http404("no such thing")


@api.get("/teapot")
def teapot(request: HttpRequest) -> dict[str, str]:
    raise HttpError(418, "short and stout")


@api.get("/private", auth=django_auth)
def private(request: HttpRequest) -> dict[str, str]:
    return {"secret": "yes"}


@api.get("/whoami", auth=SignedIn())
def whoami(request: HttpRequest) -> dict[str, int]:
    return {"user": request.auth.pk}


@api.post("/notes", auth=SignedIn())
def write_note(request: HttpRequest) -> dict[str, int]:
    count_call("write_note")
    return {"user": request.auth.pk}


urlpatterns = [
    # API-style writes live under /api/, where bearer tokens are resolved into request.user
    path("api/core-writes/groups", create_group),
    path("api/core-writes/status/<int:status>", answer_with_status),
    path("api/core-writes/explode", explode),
    path("api/core-writes/decide-first", decide_first, name=DECIDE_FIRST),
    path("core-tests/domain-error/<str:kind>", raise_domain_error),
    path("core-tests/log", log_a_line),
    path("core-tests/own-policy", own_policy),
    # under /api/ so that the bearer-token middleware treats it like the real API
    path("api/core-tests/", api.urls),
    *site_urlpatterns,
]
