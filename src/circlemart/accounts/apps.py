from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "circlemart.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from circlemart.accounts import handlers, roles, token_cache  # noqa: F401  (registers handlers)

        token_cache.connect_invalidation()

        # Role groups need the permission rows, which Django creates app by app after
        # migrations; syncing after every app's post_migrate catches apps listed after us.
        post_migrate.connect(roles.sync_roles_after_migrate, dispatch_uid="circlemart-roles")
