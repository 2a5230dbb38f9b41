from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campagnes")

    def ready(self):
        from django.db.models.signals import post_delete, post_save, pre_save

        from .models import Campaign, Domain

        # Deleting a campaign deletes its domains first: their post_delete forgets them.
        post_save.connect(_campaign_saved, sender=Campaign, dispatch_uid="campaigns.hosts.campaign_saved")
        pre_save.connect(_domain_renamed, sender=Domain, dispatch_uid="campaigns.hosts.domain_renamed")
        post_save.connect(_domain_changed, sender=Domain, dispatch_uid="campaigns.hosts.domain_saved")
        post_delete.connect(_domain_changed, sender=Domain, dispatch_uid="campaigns.hosts.domain_deleted")


def _forget_hosts(hosts):
    """Forget the host -> campaign answers CampaignMiddleware keeps in the cache."""
    from django.core.cache import cache
    from django_tenants.utils import schema_context

    from .middleware import CampaignMiddleware

    if hosts:
        with schema_context("public"):  # the middleware reads them with the public schema's key prefix
            cache.delete_many([CampaignMiddleware.cache_key(h) for h in hosts])


def _campaign_saved(sender, instance, **kwargs):
    from .models import Domain

    _forget_hosts(list(Domain.objects.filter(tenant_id=instance.pk).values_list("domain", flat=True)))


def _domain_changed(sender, instance, **kwargs):
    _forget_hosts([instance.domain])


def _domain_renamed(sender, instance, **kwargs):
    """A domain renamed in place: its former host must stop answering at once too."""
    from .models import Domain

    if instance.pk:
        old = Domain.objects.filter(pk=instance.pk).values_list("domain", flat=True).first()
        if old and old != instance.domain:
            _forget_hosts([old])
