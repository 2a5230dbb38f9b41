"""Celery tasks run in the schema of the campaign that queued them, in a real worker."""

from django_tenants.utils import tenant_context

from crm.models import Contact, ContactSummary
from crm.tasks import summarise_contacts, summarise_contacts_everywhere
from tests.conftest import wait_for


def test_task_queued_for_campaign_a_reads_and_writes_only_a(committed, celery_worker_process):
    a = committed.campaign(name="Campagne A").campaign
    b = committed.campaign(name="Campagne B").campaign
    with tenant_context(a):
        Contact.objects.bulk_create(
            [
                Contact(first_names="Éloïse", email="eloise@a.test"),
                Contact(first_names="Gaël", phone="+33612345678"),
                Contact(first_names="Maëlle"),
            ]
        )
    with tenant_context(b):
        Contact.objects.create(first_names="Loïc", email="loic@b.test")

    with tenant_context(a):
        outcome = summarise_contacts.delay().get(timeout=60)
    assert outcome["contacts"] == 3
    with tenant_context(a):
        summary = ContactSummary.objects.get()
        assert (summary.contacts, summary.with_email, summary.with_phone) == (3, 1, 1)
    with tenant_context(b):
        assert not ContactSummary.objects.exists()


def test_periodic_summary_loops_over_every_campaign(committed, celery_worker_process):
    a = committed.campaign(name="Campagne A").campaign
    b = committed.campaign(name="Campagne B").campaign
    with tenant_context(b):
        Contact.objects.create(first_names="Loïc")
    summarise_contacts_everywhere.delay().get(timeout=60)

    def summarised(campaign, expected):
        with tenant_context(campaign):
            return ContactSummary.objects.filter(contacts=expected).exists()

    wait_for(lambda: summarised(a, 0) and summarised(b, 1), timeout=60, what="one summary per campaign")
