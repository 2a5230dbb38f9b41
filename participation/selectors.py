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


def key_figures():
    """Participants, public contributions, projects and upcoming events, in one query."""
    tables = {
        "participants": (CitizenProfile._meta.db_table, "email_confirmed_at IS NOT NULL"),
        "contributions": (Comment._meta.db_table, f"visibility = '{Visibility.VISIBLE}'"),
        "projects": (Project._meta.db_table, "published AND visibility <> 'private'"),
        "events": (Event._meta.db_table, "published AND starts_at >= now()"),
    }
    # Built from the constants above only: no value comes from a request.
    sql = "SELECT " + ", ".join(  # noqa: S608
        f"(SELECT count(*) FROM {table} WHERE {where}) AS {name}"  # noqa: S608
        for name, (table, where) in tables.items()
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return dict(zip(tables, row, strict=True))


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
