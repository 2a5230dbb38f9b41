from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "campaigns.accounts"
    label = "accounts"
    verbose_name = _("Comptes et équipes")

    def ready(self):
        from .roles import sync_role_groups_after_migrate

        post_migrate.connect(sync_role_groups_after_migrate, dispatch_uid="accounts.sync_role_groups")
