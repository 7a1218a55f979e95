"""Consent answers in the back office: the admin reads them, nobody edits them, and an analyst
does not see them."""

from __future__ import annotations

import pytest
from django.test import Client

from circlemart.accounts.contracts import Role
from circlemart.analytics.tracking.consent import consent_record
from tests.accounts.factories import UserFactory
from tests.analytics.goals.factories import staff

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/analytics/trackingconsent/"


def signed_in(user: object) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_the_admin_reads_consent_answers_but_cannot_change_them() -> None:
    subject = UserFactory()
    consent_record(allowed=False, user_id=subject.pk)
    admin = UserFactory(is_superuser=True, is_staff=True)

    listing = signed_in(admin).get(CHANGELIST)
    adding = signed_in(admin).get(f"{CHANGELIST}add/")

    assert listing.status_code == 200
    assert f">{subject.pk}<" in listing.content.decode()
    assert adding.status_code == 403


def test_an_analyst_does_not_see_who_consented() -> None:
    assert signed_in(staff(Role.ANALYST)).get(CHANGELIST).status_code == 403
