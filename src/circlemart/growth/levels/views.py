"""The "My level" page (/growth/level/): current level, growth value and progress to the next,
the benefits of every level, badges earned and locked, growth value history, and the birthday
form (set once)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from circlemart.core.errors import DomainError
from circlemart.core.web import signed_in_id
from circlemart.growth.levels import selectors, services
from circlemart.growth.levels.contracts import BadgeCounter, GrowthReason


class BirthdayForm(forms.Form):
    birthday = forms.DateField(
        label=gettext_lazy("Birthday"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Set it once: members of some levels get a birthday coupon."),
    )


def _context(user_id: int, form: BirthdayForm) -> dict[str, Any]:
    mine = selectors.my_level(user_id)
    reasons = dict(GrowthReason.choices)
    counters = dict(BadgeCounter.choices)
    return {
        "mine": mine,
        "history": [(entry, reasons.get(entry.reason, entry.reason)) for entry in mine.history],
        "earned": [badge for badge in mine.badges if badge.is_earned],
        "locked": [
            (badge, counters.get(badge.counter, badge.counter))
            for badge in mine.badges
            if not badge.is_earned
        ],
        "form": form,
    }


@login_required
def level_page(request: HttpRequest) -> HttpResponse:
    user_id = signed_in_id(request)
    form = BirthdayForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.level_birthday_set(user_id=user_id, birthday=form.cleaned_data["birthday"])
            except DomainError as error:
                form.add_error("birthday", str(error.message))
            else:
                messages.success(request, _("Birthday saved."))
                return redirect("growth:level")
        status = 400
    return render(request, "growth/levels/level.html", _context(user_id, form), status=status)
