"""Reads for the public pages, shaped so the home page stays within a few queries."""

from django.core.cache import cache
from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from .models import CitizenProfile, Comment, Event, NewsPost, Page, Project, SiteSettings, Step, Visibility

CHROME_KEY = "participation:chrome"


def site_chrome():
    """Settings and menu pages for every public page; cached until one of them changes."""
    chrome = cache.get(CHROME_KEY)
    if chrome is None:
        site = SiteSettings.current()
        chrome = {
            "site": site,
            "menu": [],
            "footer": [],
        }
        for page in Page.objects.filter(published=True).values("slug", "title", "in_menu"):
            chrome["menu" if page["in_menu"] else "footer"].append(page)
        cache.set(CHROME_KEY, chrome, 3600)
    return chrome


@receiver([post_save, post_delete], sender=SiteSettings)
@receiver([post_save, post_delete], sender=Page)
def _forget_chrome(**kwargs):
    cache.delete(CHROME_KEY)


def published_news():
    return NewsPost.objects.filter(published_at__isnull=False, published_at__lte=timezone.now())


def upcoming_events():
    now = timezone.now()
    return Event.objects.filter(published=True, starts_at__gte=now - timezone.timedelta(hours=6))


def with_steps(projects):
    return projects.prefetch_related(Prefetch("steps", queryset=Step.objects.order_by("position")))


def current_first(projects, now=None):
    """Projects with a step open now first (newest first), then the others."""
    now = now or timezone.now()
    open_step = Step.objects.filter(project=OuterRef("pk")).filter(
        Q(starts_at__isnull=True) | Q(starts_at__lte=now), Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )
    return projects.annotate(is_open=Exists(open_step)).order_by("-is_open", "-created", "-id")


def public_contributions():
    """What citizens contributed that anyone may see, one queryset per kind: comments,
    ideas, questions, amendments and arguments of published, non-private projects,
    submitted questionnaires, mutual-aid posts; moderated away ones left out."""
    from .aid.models import HelpPost
    from .debate.models import Argument, Contribution
    from .ideas.models import Proposal, Question
    from .surveys.models import Response

    def in_public_projects(queryset, step):
        return queryset.filter(**{f"{step}__project__published": True}).exclude(
            **{f"{step}__project__visibility": Project.Visibility.PRIVATE}
        )

    return [
        Comment.public(),
        in_public_projects(Proposal.public(), "step"),
        in_public_projects(Question.public(), "step"),
        in_public_projects(Contribution.public(), "section__step"),
        in_public_projects(Argument.public(), "contribution__section__step"),
        in_public_projects(Response.objects.filter(submitted_at__isnull=False), "questionnaire__step"),
        HelpPost.public(),
    ]


def key_figures():
    """Participants, public contributions, projects and upcoming events, in one query."""
    figures = {
        "participants": [CitizenProfile.objects.filter(email_confirmed_at__isnull=False)],
        "contributions": public_contributions(),
        "projects": [Project.objects.filter(published=True).exclude(visibility=Project.Visibility.PRIVATE)],
        "events": [Event.objects.filter(published=True, starts_at__gte=timezone.now())],
    }
    columns, params = [], []
    for name, querysets in figures.items():
        counts = []
        for queryset in querysets:
            sql, qs_params = queryset.order_by().values("pk").query.sql_with_params()
            counts.append(f"(SELECT count(*) FROM ({sql}) AS t)")  # noqa: S608 - SQL built by the ORM
            params.extend(qs_params)
        columns.append(f"{' + '.join(counts)} AS {name}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(columns), params)  # noqa: S608 - SQL built by the ORM
        row = cursor.fetchone()
    return dict(zip(figures, row, strict=True))


def comments_on(target):
    """Visible comments and hidden ones (shown as "hidden: reason"), with replies."""
    from django.contrib.contenttypes.models import ContentType

    rows = list(
        Comment.objects.filter(
            content_type=ContentType.objects.get_for_model(target),
            object_id=target.pk,
            visibility__in=[Visibility.VISIBLE, Visibility.HIDDEN],
        ).select_related("author")
    )
    by_parent = {}
    for c in rows:
        by_parent.setdefault(c.parent_id, []).append(c)
    for c in rows:
        c.thread = by_parent.get(c.pk, [])
    return by_parent.get(None, [])
