"""Who may see a project and who may take part in it (public, verified, private)."""

from django.db.models import Q

from campaigns.accounts.models import Role

from .models import CitizenProfile, Project

# The people who run the campaign see and test every project.
RUNS_CAMPAIGN = {Role.ADMIN, Role.ORGANIZER}


def _verified(user):
    if user.role in RUNS_CAMPAIGN or user.role in (Role.TEAM_LEADER, Role.VOLUNTEER):
        return True  # accounts the campaign created itself
    return CitizenProfile.objects.filter(user=user, email_confirmed_at__isnull=False).exists()


def _invited(user, project):
    email = user.email.lower()
    if email in project.invited_emails:
        return True
    domain = email.rpartition("@")[2]
    if domain in project.allowed_domains:
        return _verified(user)
    return project.groups.filter(members=user).exists()


def can_view(user, project):
    if not project.published:
        return bool(user.is_authenticated and user.role in RUNS_CAMPAIGN)
    if project.visibility != Project.Visibility.PRIVATE:
        return True
    if not user.is_authenticated or not user.is_active:
        return False
    return user.role in RUNS_CAMPAIGN or _invited(user, project)


def can_participate(user, project):
    if not user.is_authenticated or not user.is_active:
        return False
    if not can_view(user, project):
        return False
    if project.visibility == Project.Visibility.PUBLIC:
        return True
    return _verified(user)


def visible_projects(user):
    """Projects this person may see, as a queryset."""
    projects = Project.objects.all()
    if user.is_authenticated and user.role in RUNS_CAMPAIGN:
        return projects
    public = Q(published=True) & ~Q(visibility=Project.Visibility.PRIVATE)
    if not (user.is_authenticated and user.is_active):
        return projects.filter(public)
    email = user.email.lower()
    invited = Q(invited_emails__contains=[email]) | Q(groups__members=user)
    if _verified(user):
        invited |= Q(allowed_domains__contains=[email.rpartition("@")[2]])
    private = Q(published=True, visibility=Project.Visibility.PRIVATE) & invited
    return projects.filter(public | private).distinct()
