"""Rename users whose public nickname is personal data: the local part of their email (the
old default of email sign-ups) or their phone number's digits. They get the neutral default
of new accounts (accounts.services.default_nickname): "User <8 random characters>", worded
in the site's default language."""

import secrets

from django.conf import settings
from django.db import migrations
from django.utils import translation
from django.utils.translation import gettext

# Copied from accounts.services at the time of writing: a migration must not change meaning
# when the service does.
SUFFIX_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
SUFFIX_LENGTH = 8
MIN_PHONE_DIGITS = 7
BATCH = 1000


def _digits(text):
    kept = text.replace(" ", "").replace("-", "").removeprefix("+")
    return kept if kept.isdigit() else ""


def nickname_is_personal(*, nickname, email, phone):
    name = (nickname or "").strip()
    if not name:
        return False
    if email and name.lower() == email.split("@", 1)[0][:30].lower():
        return True
    digits = _digits(name)
    return bool(phone) and len(digits) >= MIN_PHONE_DIGITS and _digits(phone).endswith(digits)


def neutral_nickname():
    suffix = "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))
    return gettext("User %(suffix)s") % {"suffix": suffix}


def rename(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    last_id = 0
    with translation.override(settings.LANGUAGE_CODE):
        while True:
            # Keyset batches read into memory first: no open cursor over rows being written.
            batch = list(
                User.objects.filter(id__gt=last_id)
                .only("id", "email", "phone", "nickname")
                .order_by("id")[:BATCH]
            )
            if not batch:
                return
            last_id = batch[-1].id
            changed = [
                user
                for user in batch
                if nickname_is_personal(nickname=user.nickname, email=user.email, phone=user.phone)
            ]
            for user in changed:
                user.nickname = neutral_nickname()
            User.objects.bulk_update(changed, ["nickname"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_remove_lockout_fields")]

    operations = [migrations.RunPython(rename, migrations.RunPython.noop, elidable=True)]
