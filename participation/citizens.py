"""Citizen accounts: sign-up with e-mail confirmation, the CRM contact behind each
citizen (one person, one contact), consents, and deleting an account."""

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns import signing
from campaigns.accounts.models import AuditEntry, Role
from campaigns.accounts.roles import assign_role
from crm import consent, gdpr
from crm.models import Contact, Interaction

from .models import CitizenProfile

SOURCE = "participation"
CONFIRM_SALT = "participation.confirm-email"
# A confirmation link works for three days.
CONFIRM_MAX_AGE = 3 * 24 * 3600


class BadToken(ValueError):
    pass


@transaction.atomic
def sign_up(*, email, password, full_name="", display_name="", language=""):
    """Create an inactive citizen account; it becomes active when the e-mail is confirmed."""
    User = get_user_model()
    user = User.objects.create_user(
        email=email, password=password, full_name=full_name.strip(), display_name=display_name.strip(),
        role=Role.CITIZEN, is_active=False, language=language,
    )  # fmt: skip
    assign_role(user, Role.CITIZEN)
    CitizenProfile.objects.create(user=user)
    return user


def confirmation_token(user, *, consents=(), phone=""):
    """What was ticked travels in the signed link: nothing is recorded before the person
    proves the address is theirs. The e-mail is in it too: a link sent to an old
    address stops working."""
    return signing.dumps({"u": user.pk, "e": user.email, "c": sorted(set(consents)), "p": phone}, salt=CONFIRM_SALT)


def send_confirmation(user, *, url):
    send_mail(
        _("Confirmez votre adresse e-mail"),
        _(
            "Bonjour,\n\nPour activer votre compte, ouvrez ce lien (valable trois jours) :\n%(url)s\n\n"
            "Si vous n'avez pas demandé à créer un compte, ignorez ce message."
        )
        % {"url": url},
        None,
        [user.email],
    )


@transaction.atomic
def confirm(token):
    """Activate the account the token names; link it to its contact. Returns the user."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.SignatureExpired:
        raise BadToken(_("Ce lien de confirmation a expiré. Demandez-en un nouveau.")) from None
    except signing.BadSignature:
        raise BadToken(_("Ce lien de confirmation n'est pas valide.")) from None
    User = get_user_model()
    user = User.objects.select_for_update().filter(pk=data.get("u"), email=data.get("e")).first()
    if user is None:
        raise BadToken(_("Ce lien de confirmation ne correspond à aucun compte."))
    profile, _created = CitizenProfile.objects.get_or_create(user=user)
    if profile.is_verified:
        return user
    profile.email_confirmed_at = timezone.now()
    user.is_active = True
    user.save(update_fields=["is_active"])
    profile.contact = contact_for(user, consents=data.get("c", ()), phone=data.get("p", ""))
    profile.save(update_fields=["email_confirmed_at", "contact"])
    return user


def contact_for(user, *, consents=(), phone=""):
    """The CRM contact of this citizen: the existing one with the same e-mail, or a new
    one with source "participation". Consents ticked are given and logged."""
    email = user.email.lower()
    contact = Contact.objects.filter(Contact.holding("email", email), erased_at__isnull=True).order_by("id").first()
    first, _sep, last = user.full_name.partition(" ")
    if contact is None:
        # Signing up is a fresh, explicit request: it lifts an earlier erasure's block.
        contact = Contact(email=email, first_names=first, usage_name=last, source=SOURCE)
        if phone:
            contact.phone = phone
        contact.save()
        Interaction.objects.create(contact=contact, kind=Interaction.Kind.SIGNED_UP, actor=user,
                                   summary=_("Inscription sur le site"))  # fmt: skip
        gdpr.lift_suppression(email=email, phone=phone)
    else:
        changed = []
        if phone and not contact.phone:
            contact.phone = phone
            changed.append("phone")
        if not contact.first_names and first:
            contact.first_names, contact.usage_name = first, contact.usage_name or last
            changed += ["first_names", "usage_name"]
        if changed:
            contact.save(update_fields=[*changed, "updated", "name_key", "search_text"])
        Interaction.objects.create(contact=contact, kind=Interaction.Kind.SIGNED_UP, actor=user,
                                   summary=_("Inscription sur le site (contact existant)"))  # fmt: skip
    set_consents(contact, dict.fromkeys(consents, True), actor=user, source=SOURCE)
    return contact


def set_consents(contact, wanted, *, actor, source):
    """The person's own choices per channel ({"email": True, "sms": False}): ticking
    a box is their new consent (it lifts an earlier opt-out), unticking declines that
    channel only. Every change goes to the consent log (crm/consent.py)."""
    changed = []
    for channel, granted in wanted.items():
        if granted:
            done = consent.grant(contact, channel, source=source, actor=actor,
                                 reason=_("choix de la personne sur le site"), new_consent=True)  # fmt: skip
        else:
            done = consent.withdraw(contact, channel, source=source, actor=actor)
        if done:
            changed.append(f"consent_{channel}")
    return changed


def profile_of(user):
    profile, _created = CitizenProfile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def delete_account(user, *, erase_contact=False):
    """Delete the account. Its comments stay, without author. With `erase_contact`, the
    CRM contact is erased too (GDPR erasure); otherwise its consents are withdrawn."""
    profile = CitizenProfile.objects.filter(user=user).select_related("contact").first()
    contact = profile.contact if profile else None
    if contact is not None:
        if erase_contact:
            # Unlinked first: the erasure would otherwise delete this account itself
            # (forget_erased_contact below), before the audit entry names it.
            CitizenProfile.objects.filter(user=user).update(contact=None)
            gdpr.erase_contact(contact, actor=None, reason="account deleted")
        else:
            set_consents(contact, {"email": False, "sms": False}, actor=None, source="account deleted")
    AuditEntry.objects.create(action="citizen.deleted", target_type="user", target_id=str(user.pk),
                              data={"erased_contact": bool(erase_contact and contact)})  # fmt: skip
    user.delete()


def forget_erased_contact(sender, contact_ids, **kwargs):
    """The team erased someone who has an account on the site: the account holds their
    e-mail and name too, so it goes, as when they delete it themselves (their
    contributions stay, without author). A team member's account is only unlinked."""
    for profile in CitizenProfile.objects.filter(contact_id__in=contact_ids).select_related("user"):
        user = profile.user
        if user.role != Role.CITIZEN:
            CitizenProfile.objects.filter(pk=profile.pk).update(contact=None)
            continue
        AuditEntry.objects.create(action="citizen.deleted", target_type="user", target_id=str(user.pk),
                                  data={"erased_contact": True, "by": "contact erasure"})  # fmt: skip
        user.delete()


def record_participation(user, *, module, action, step, summary=""):
    """Mark the citizen's contact as active: one timeline line per contribution or vote,
    usable in segments ({"participation": {"module": "ideas", "action": "vote"}})."""
    if user is None:
        return None
    contact_id = CitizenProfile.objects.filter(user=user).values_list("contact_id", flat=True).first()
    if contact_id is None:
        return None
    return Interaction.objects.create(
        contact_id=contact_id, kind=Interaction.Kind.CONTRIBUTION, actor=user, summary=summary[:300],
        data={"module": module, "action": action} | ({"step": step.pk, "project": step.project_id} if step else {}),
    )  # fmt: skip
