"""What accounts does when events arrive (delivered by the outbox relay)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from circlemart.accounts.events import UserRegistered
from circlemart.accounts.models import User
from circlemart.core.events import DeliveredEvent, handles


@handles(UserRegistered)
def send_welcome_email(delivered: DeliveredEvent) -> None:
    event = delivered.event
    assert isinstance(event, UserRegistered)
    user = User.objects.filter(pk=event.user_id, is_active=True).first()
    if user is None or not user.email:
        return
    with translation.override(event.language):
        send_mail(
            subject=_("Welcome to Circlemart"),
            message=render_to_string(
                "accounts/email/welcome.txt", {"user": user, "site_url": settings.SITE_URL}
            ),
            from_email=None,
            recipient_list=[user.email],
        )
