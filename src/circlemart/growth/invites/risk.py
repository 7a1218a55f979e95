"""Anti-cheat before any invite reward: the rule-based default of `InviteRiskCheck`, and the
loader of whichever implementation INVITE_RISK_CHECK names (the risk app's scoring later).

The default holds a reward for review when:
- self_invite: the invitee's canonical email is the inviter's (a+1@x.com, a.b@gmail.com);
- shared_device: the invitee signed up in a browser the inviter uses (the inviter's login
  device cookie or the browser the inviter's invite page was last opened in), or in the same
  browser as another invitee of the inviter within the window;
- shared_phone / shared_address: a phone (account or address) or a shipping address of the
  invitee is also the inviter's, or another recent invitee's of the same inviter;
- shared_ip: the invitee signed up from the IP the inviter was last seen on, or from the IP
  of another invitee of the same inviter within the window;
- velocity: the inviter bound more than INVITE_DAILY_CAP invitees that calendar day
  (GROWTH_TIME_ZONE), counting this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from circlemart.accounts import selectors as account_selectors
from circlemart.growth.invites.contracts import (
    InviteContext,
    InviteRiskCheck,
    RiskReason,
    RiskVerdict,
)
from circlemart.growth.invites.models import Invite, InviteCode


def _day_bounds(moment: datetime) -> tuple[datetime, datetime]:
    zone = ZoneInfo(settings.GROWTH_TIME_ZONE)
    local = moment.astimezone(zone)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


@dataclass(frozen=True)
class _Peer:
    """Another invitee of the same inviter, bound within the window."""

    invitee_id: int
    ip_digest: str
    browser: str


@dataclass(frozen=True)
class _Seen:
    """Where the inviter last opened their invite page."""

    ip_digest: str = ""
    browser: str = ""
    at: datetime | None = None


class RuleBasedInviteRiskCheck:
    """Growth's default: a few plain rules over shared signals (see the module docstring)."""

    def assess(self, context: InviteContext) -> RiskVerdict:
        window = timedelta(days=settings.INVITE_RISK_WINDOW_DAYS)
        peers = [
            _Peer(invitee_id=invitee_id, ip_digest=ip_digest, browser=browser)
            for invitee_id, ip_digest, browser in Invite.objects.filter(
                inviter_id=context.inviter_id,
                bound_at__gte=context.bound_at - window,
                bound_at__lte=context.bound_at + window,
            )
            .exclude(pk=context.invite_id)
            .values_list("invitee_id", "signup_ip_digest", "signup_browser")
        ]
        code = InviteCode.objects.filter(user_id=context.inviter_id).first()
        inviter_seen = (
            _Seen(ip_digest=code.seen_ip_digest, browser=code.seen_browser, at=code.seen_at)
            if code is not None
            else _Seen()
        )
        reasons = [
            *self._same_person(context),
            *self._shared_device(context, peers, inviter_seen),
            *self._shared_contacts(context, peers),
            *self._shared_ip(context, peers, inviter_seen, window),
            *self._velocity(context),
        ]
        return RiskVerdict.hold(*reasons) if reasons else RiskVerdict.allow()

    def _same_person(self, context: InviteContext) -> list[RiskReason]:
        signals = account_selectors.contact_signals([context.inviter_id, context.invitee_id])
        inviter, invitee = signals.get(context.inviter_id), signals.get(context.invitee_id)
        if (
            inviter
            and invitee
            and inviter.email_digest
            and inviter.email_digest == invitee.email_digest
        ):
            return [
                RiskReason(
                    "self_invite", _("The invitee's email reaches the inviter's own mailbox.")
                )
            ]
        return []

    def _shared_device(
        self, context: InviteContext, peers: list[_Peer], seen: _Seen
    ) -> list[RiskReason]:
        found: list[RiskReason] = []
        if context.signup_device_owner_id == context.inviter_id:
            found.append(
                RiskReason(
                    "shared_device",
                    _("The invitee signed up on a device last signed in to as the inviter."),
                )
            )
        elif context.signup_browser and context.signup_browser == seen.browser:
            found.append(
                RiskReason(
                    "shared_device",
                    _("The invitee signed up in the browser the inviter uses."),
                )
            )
        peer_ids = {peer.invitee_id for peer in peers}
        same_browser = context.signup_browser and any(
            peer.browser == context.signup_browser for peer in peers
        )
        if same_browser or (
            context.signup_device_owner_id is not None
            and context.signup_device_owner_id in peer_ids
        ):
            found.append(
                RiskReason(
                    "shared_device",
                    _("Another invitee of this inviter signed up on the same device."),
                )
            )
        return found

    def _shared_contacts(self, context: InviteContext, peers: list[_Peer]) -> list[RiskReason]:
        peer_ids = [peer.invitee_id for peer in peers]
        signals = account_selectors.contact_signals(
            [context.inviter_id, context.invitee_id, *peer_ids]
        )
        invitee = signals.get(context.invitee_id)
        inviter = signals.get(context.inviter_id)
        if invitee is None:
            return []
        found: list[RiskReason] = []
        others = [signals[peer] for peer in peer_ids if peer in signals]
        if inviter and invitee.phone_digests & inviter.phone_digests:
            found.append(
                RiskReason("shared_phone", _("The invitee and the inviter share a phone number."))
            )
        elif any(invitee.phone_digests & other.phone_digests for other in others):
            found.append(
                RiskReason(
                    "shared_phone",
                    _("The invitee shares a phone number with another invitee of this inviter."),
                )
            )
        if inviter and invitee.address_digests & inviter.address_digests:
            found.append(
                RiskReason(
                    "shared_address", _("The invitee and the inviter share a shipping address.")
                )
            )
        elif any(invitee.address_digests & other.address_digests for other in others):
            found.append(
                RiskReason(
                    "shared_address",
                    _("The invitee shares an address with another invitee of this inviter."),
                )
            )
        return found

    def _shared_ip(
        self,
        context: InviteContext,
        peers: list[_Peer],
        seen: _Seen,
        window: timedelta,
    ) -> list[RiskReason]:
        ip = context.signup_ip_digest
        if not ip:
            return []
        seen_at = seen.at
        if (
            ip == seen.ip_digest
            and isinstance(seen_at, datetime)
            and abs(context.bound_at - seen_at) <= window
        ):
            return [
                RiskReason("shared_ip", _("The invitee signed up from the inviter's IP address."))
            ]
        if any(peer.ip_digest == ip for peer in peers):
            return [
                RiskReason(
                    "shared_ip",
                    _("Another invitee of this inviter signed up from the same IP address."),
                )
            ]
        return []

    def _velocity(self, context: InviteContext) -> list[RiskReason]:
        start, end = _day_bounds(context.bound_at)
        rank = Invite.objects.filter(
            inviter_id=context.inviter_id,
            bound_at__gte=start,
            bound_at__lt=end,
            pk__lte=context.invite_id,
        ).count()
        if rank > settings.INVITE_DAILY_CAP:
            return [
                RiskReason(
                    "velocity",
                    _("The inviter brought more than %(cap)d invitees that day.")
                    % {"cap": settings.INVITE_DAILY_CAP},
                )
            ]
        return []


@lru_cache(maxsize=4)
def load_risk_check(path: str) -> InviteRiskCheck:
    check = import_string(path)()
    if not isinstance(check, InviteRiskCheck):
        raise TypeError(f"{path} does not implement InviteRiskCheck (an assess method)")
    return check


def invite_risk_check() -> InviteRiskCheck:
    return load_risk_check(settings.INVITE_RISK_CHECK)
