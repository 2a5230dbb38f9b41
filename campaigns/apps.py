from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campagnes")

    def ready(self):
        from django.db.models.signals import post_delete, post_save, pre_save

        from .models import Campaign, Domain

        post_save.connect(_forget_hosts, sender=Campaign, dispatch_uid="campaigns.hosts.campaign_saved")
        post_delete.connect(_forget_hosts, sender=Campaign, dispatch_uid="campaigns.hosts.campaign_deleted")
        pre_save.connect(_forget_old_host, sender=Domain, dispatch_uid="campaigns.hosts.domain_renamed")
        post_save.connect(_forget_hosts, sender=Domain, dispatch_uid="campaigns.hosts.domain_saved")
        post_delete.connect(_forget_hosts, sender=Domain, dispatch_uid="campaigns.hosts.domain_deleted")


def _forget_hosts(sender, instance, **kwargs):
    """Forget the host -> campaign answers CampaignMiddleware keeps in the cache."""
    from django.core.cache import cache
    from django_tenants.utils import schema_context

    from .middleware import CampaignMiddleware
    from .models import Domain

    if isinstance(instance, Domain):
        hosts = [instance.domain]
    else:  # a deleted campaign's domains were deleted (and forgotten) before it
        hosts = list(Domain.objects.filter(tenant_id=instance.pk).values_list("domain", flat=True))
    if hosts:
        with schema_context("public"):  # the middleware reads them with the public schema's key prefix
            cache.delete_many([CampaignMiddleware.cache_key(h) for h in hosts])


def _forget_old_host(sender, instance, **kwargs):
    """A domain renamed in place: its former host must stop answering at once too."""
    from .models import Domain

    if instance.pk:
        old = Domain.objects.filter(pk=instance.pk).values_list("domain", flat=True).first()
        if old and old != instance.domain:
            _forget_hosts(sender, Domain(domain=old))
