"""HTML forms of the accounts pages. They only shape input; services decide what is valid."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from circlemart.accounts.models import User


class SignupForm(forms.Form):
    email = forms.CharField(label=_("Email"), max_length=254, widget=forms.EmailInput)
    nickname = forms.CharField(label=_("Nickname"), max_length=60, required=False)
    password = forms.CharField(label=_("Password"), max_length=200, widget=forms.PasswordInput)


class LoginForm(forms.Form):
    email = forms.CharField(label=_("Email"), max_length=254, widget=forms.EmailInput)
    password = forms.CharField(label=_("Password"), max_length=200, widget=forms.PasswordInput)
    # Step-up answers (accounts/signin): shown or filled in only once the service asks.
    sms_code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    # Not length-checked here: an over-long answer is a wrong answer, and the service then
    # issues a fresh challenge (a form error on a hidden field would show nothing).
    challenge = forms.CharField(required=False, widget=forms.HiddenInput)
    nonce = forms.CharField(required=False, widget=forms.HiddenInput)


class PhoneLoginForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"), max_length=32, widget=forms.TextInput(attrs={"type": "tel"})
    )
    code = forms.CharField(label=_("Code"), max_length=6, required=False)


class ProfileForm(forms.Form):
    nickname = forms.CharField(label=_("Nickname"), max_length=60)
    bio = forms.CharField(
        label=_("Bio"), max_length=400, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    city = forms.CharField(label=_("City"), max_length=120, required=False)
    gender = forms.ChoiceField(label=_("Gender"), choices=User.Gender.choices, required=False)
    age_range = forms.ChoiceField(
        label=_("Age range"), choices=User.AgeRange.choices, required=False
    )
    interests = forms.CharField(
        label=_("Interests"),
        max_length=400,
        required=False,
        help_text=_("Separate with commas, e.g. coffee, camping, skincare"),
    )
    avatar = forms.FileField(label=_("Avatar"), required=False)

    def interest_list(self) -> list[str]:
        raw = self.cleaned_data.get("interests") or ""
        return [part.strip() for part in raw.replace("，", ",").split(",") if part.strip()]


class AddressForm(forms.Form):
    recipient = forms.CharField(label=_("Recipient"), max_length=80)
    phone = forms.CharField(
        label=_("Phone"), max_length=32, widget=forms.TextInput(attrs={"type": "tel"})
    )
    province = forms.CharField(label=_("Province"), max_length=80)
    city = forms.CharField(label=_("City"), max_length=80)
    district = forms.CharField(label=_("District"), max_length=80, required=False)
    detail = forms.CharField(label=_("Street address"), max_length=400)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    label = forms.CharField(label=_("Label"), max_length=40, required=False)
    is_default = forms.BooleanField(label=_("Use as default"), required=False)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"), max_length=200, widget=forms.PasswordInput
    )
    new_password = forms.CharField(
        label=_("New password"), max_length=200, widget=forms.PasswordInput
    )


class PasswordResetRequestForm(forms.Form):
    email = forms.CharField(label=_("Email"), max_length=254, widget=forms.EmailInput)


class PasswordResetConfirmForm(forms.Form):
    new_password = forms.CharField(
        label=_("New password"), max_length=200, widget=forms.PasswordInput
    )
