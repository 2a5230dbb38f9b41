"""People who sign in. This app lives in every campaign's schema (each campaign is
its own data controller) and in `public`, where it holds the platform staff."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrateur de campagne")
    ORGANIZER = "organizer", _("Organisateur")
    TEAM_LEADER = "team_leader", _("Chef d'équipe")
    VOLUNTEER = "volunteer", _("Militant")
    CITIZEN = "citizen", _("Citoyen")


# Roles that belong to the campaign team, as opposed to citizens of the public site.
STAFF_ROLES = {Role.ADMIN, Role.ORGANIZER, Role.TEAM_LEADER, Role.VOLUNTEER}


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", Role.ADMIN)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("adresse e-mail"), unique=True)
    full_name = models.CharField(_("nom complet"), max_length=200, blank=True)
    # Shown next to public contributions instead of the real name when set.
    display_name = models.CharField(_("nom affiché"), max_length=80, blank=True)
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices, default=Role.CITIZEN)
    is_active = models.BooleanField(_("actif"), default=True)
    language = models.CharField(_("langue"), max_length=8, blank=True)
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="accounts_user_role_valid"
            ),
        ]

    def __str__(self):
        return self.full_name or self.email

    def save(self, *args, **kwargs):
        # One address, one account: compare e-mails without case.
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def is_staff(self):
        """Django admin access: the people who run the campaign (or the platform)."""
        return self.is_superuser or self.role in (Role.ADMIN, Role.ORGANIZER)

    @property
    def public_name(self):
        return self.display_name or self.full_name or self.email.split("@")[0]


class Team(models.Model):
    name = models.CharField(_("nom"), max_length=120, unique=True)
    leaders = models.ManyToManyField(User, related_name="led_teams", blank=True, verbose_name=_("chefs"))
    members = models.ManyToManyField(User, related_name="teams", blank=True, verbose_name=_("membres"))
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("équipe")
        verbose_name_plural = _("équipes")
        ordering = ["name"]

    def __str__(self):
        return self.name


class AuditEntry(models.Model):
    """Who did what inside one campaign. Written by the service functions, in the
    same transaction as the change they describe."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("entrée du journal")
        verbose_name_plural = _("journal d'audit")

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target_type}:{self.target_id}"
