"""Back office of channel spend: the list, a form that records through the service, and a
CSV upload (day,channel,campaign,amount,currency) stored whole or not at all.

Registered from analytics/admin.py.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from circlemart.analytics.metrics import services
from circlemart.analytics.metrics.spend_import import COLUMNS, channel_spend_import
from circlemart.analytics.models import ChannelSpend
from circlemart.core.admin_widgets import MoneyAdminMixin, money_display
from circlemart.core.errors import ValidationFailed

MAX_UPLOAD_BYTES = 2 * 1024 * 1024


class SpendImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, with the header day,channel,campaign,amount,currency; amount in minor "
            "units (fen); channel one of direct, search, social, referral, share, campaign, ad."
        ),
    )


class ChannelSpendForm(forms.ModelForm):  # type: ignore[type-arg]
    """The service's checks, with each error on its field."""

    class Meta:
        model = ChannelSpend
        fields = ("day", "channel", "campaign", "amount", "currency", "note")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            services.spend_check(
                day=data.get("day"),
                channel=data.get("channel"),
                amount=data.get("amount"),
                currency=(data.get("currency") or "").upper(),
            )
        except ValidationFailed as refused:
            field = refused.field if refused.field in self.fields else None
            self.add_error(field, str(refused.message))
        return data


class ChannelSpendAdmin(MoneyAdminMixin, ModelAdmin):
    money_fields = ("amount",)
    amount_shown = money_display("amount", _("amount"), currency=lambda spend: spend.currency)
    form = ChannelSpendForm
    list_display = ("day", "channel", "campaign", "amount_shown", "currency", "recorded_by")
    list_filter = ("channel", "day")
    search_fields = ("campaign", "note")
    date_hierarchy = "day"
    fields = ("day", "channel", "campaign", "amount", "currency", "note")
    change_list_template = "admin/analytics/channelspend/change_list.html"

    def save_model(self, request: HttpRequest, obj: ChannelSpend, form: Any, change: bool) -> None:
        """Through the service (checked by the form): one row per (day, channel, campaign)."""
        saved = services.channel_spend_record(
            day=obj.day,
            channel=obj.channel,
            campaign=obj.campaign,
            amount=obj.amount,
            currency=obj.currency,
            note=obj.note,
            recorded_by_id=request.user.pk,
        )
        if change and obj.pk != saved.pk:  # the edit moved it onto another row's key
            ChannelSpend.objects.filter(pk=obj.pk).delete()
        obj.pk = saved.pk

    def get_urls(self) -> list[URLPattern]:
        upload = path(
            "import/",
            self.admin_site.admin_view(self.import_view),
            name="analytics_channelspend_import",
        )
        return [upload, *super().get_urls()]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = SpendImportForm(request.POST or None, request.FILES or None)
        errors: list[dict[str, Any]] = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_UPLOAD_BYTES:
                form.add_error("file", gettext("The file is larger than 2 MB."))
            else:
                try:
                    text = upload.read().decode("utf-8")
                except UnicodeDecodeError:
                    form.add_error("file", gettext("The file is not UTF-8 text."))
                else:
                    try:
                        count = channel_spend_import(text=text, recorded_by_id=request.user.pk)
                    except ValidationFailed as refused:
                        form.add_error("file", str(refused.message))
                        errors = list(refused.extra.get("errors", []))
                    else:
                        self.message_user(
                            request,
                            gettext("%(count)d spend lines imported.") % {"count": count},
                        )
                        return HttpResponseRedirect(
                            reverse("admin:analytics_channelspend_changelist")
                        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import channel spend"),
            "form": form,
            "errors": errors,
            "columns": ",".join(COLUMNS),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/analytics/channelspend/import.html", context)
