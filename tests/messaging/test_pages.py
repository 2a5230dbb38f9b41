"""The team writes a message, sees who it reaches and how it reads, tests it and sends it;
a real Celery worker hands it to the (fake) SendGrid."""

from django.core import mail
from django.test import Client
from django_tenants.utils import tenant_context

from campaigns.accounts.models import Role
from crm.messaging.models import Message, Send
from crm.models import Contact, Segment, Tag
from tests.conftest import host_of, make_user, wait_for


def test_organizer_writes_checks_tests_and_sends_an_email(committed, celery_worker_process, fake_providers, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    campaign = committed.campaign().campaign
    organizer = make_user(campaign, Role.ORGANIZER, "ines@exemple.fr")
    volunteer = make_user(campaign, Role.VOLUNTEER)
    with tenant_context(campaign):
        tag = Tag.objects.create(name="Voisins")
        for first, email, consent in (("Zoé", "zoe.pages@exemple.fr", True), ("Léon", "leon.pages@exemple.fr", None)):
            Contact.objects.create(first_names=first, email=email, consent_email=consent).tags.add(tag)
        segment = Segment.objects.create(name="Voisins", filters={"tags": ["Voisins"]})
    client = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        client.force_login(organizer)
    bad = client.post("/messages/", {"channel": "email", "name": "Invitation", "segment": segment.pk,
                                     "subject": "Bonjour {{ prenom }}", "body": "Venez"})  # fmt: skip
    assert "champ de fusion inconnu « {{ prenom }} »" in bad.content.decode()
    fields = {"channel": "email", "name": "Invitation", "segment": segment.pk}
    created = client.post("/messages/", {**fields, "subject": "Bonjour {{ first_name }}", "body": "Venez **samedi** !"})
    with tenant_context(campaign):
        message = Message.objects.get(name="Invitation")
    assert created["Location"] == f"/messages/{message.pk}/"
    page = client.get(created["Location"]).content.decode()
    assert '<strong id="eligible">1</strong>' in page and "1 sans accord pour ce canal" in page
    assert "Bonjour Zoé" in page and "<strong>samedi</strong>" in page
    with tenant_context(campaign):
        Contact.objects.create(first_names="Anaïs", email="anais.pages@exemple.fr", consent_email=True).tags.add(tag)
        anais = Contact.objects.get(email="anais.pages@exemple.fr")
    assert "Bonjour Anaïs" in client.get(created["Location"], {"contact": anais.pk}).content.decode()
    first = client.get(created["Location"]).context["preview_subject"]
    for not_an_id in ("²", "abc", str(2**70)):  # the first person of the audience is shown instead
        shown = client.get(created["Location"], {"contact": not_an_id})
        assert shown.status_code == 200 and shown.context["preview_subject"] == first

    client.post(created["Location"], {"form": "test", "contact": anais.pk})
    assert [m.to for m in mail.outbox] == [["ines@exemple.fr"]] and mail.outbox[0].subject == "[Essai] Bonjour Anaïs"
    assert "zoe.pages@exemple.fr" not in fake_providers.recipients()

    client.post(created["Location"], {"form": "send"})
    with tenant_context(campaign):
        wait_for(lambda: Message.objects.get(pk=message.pk).status == "sent", timeout=30, what="the send")
        assert set(Send.objects.filter(message=message).values_list("status", flat=True)) == {"sent"}
    assert fake_providers.recipients().count("zoe.pages@exemple.fr") == 1
    assert fake_providers.recipients().count("anais.pages@exemple.fr") == 1
    assert "leon.pages@exemple.fr" not in fake_providers.recipients()
    assert "2 envoyés, 0 en échec, 0 restants" in client.get(created["Location"]).content.decode()

    other = Client(HTTP_HOST=host_of(campaign))
    with tenant_context(campaign):
        other.force_login(volunteer)
    assert other.get("/messages/").status_code == 403
