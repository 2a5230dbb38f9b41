"""Mutual aid pages: list and map with filters, post, read, close, write privately."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from participation.ideas.views import _zones
from participation.models import Visibility
from participation.ratelimit import limited
from participation.views import posted

from . import services
from .forms import FilterForm, HelpPostForm, MessageForm
from .models import AidSettings, Conversation, HelpPost


def visible_posts():
    return HelpPost.objects.filter(visibility=Visibility.VISIBLE).select_related("author")


def _filtered(request, categories):
    form = FilterForm(request.GET or None, categories=categories, zones=_zones())
    posts = visible_posts().filter(status=HelpPost.Status.OPEN)
    if form.is_valid():
        data = form.cleaned_data
        if data["kind"]:
            posts = posts.filter(kind=data["kind"])
        if data["category"]:
            posts = posts.filter(category=data["category"])
        if data["zone"]:
            from crm.field.models import Zone

            zone = Zone.objects.filter(pk=data["zone"]).first()
            if zone:
                posts = posts.filter(area__within=zone.geometry)
    return form, posts


def post_list(request):
    categories = AidSettings.current().categories
    form, posts = _filtered(request, categories)
    page = Paginator(posts, 20).get_page(request.GET.get("page"))
    new_form = HelpPostForm(categories=categories) if request.user.is_authenticated else None
    return render(request, "aid/list.html", {"filter_form": form, "page": page, "new_form": new_form,
                                             "view": "map" if request.GET.get("vue") == "carte" else "list",
                                             "query": request.GET.urlencode()})  # fmt: skip


def posts_geojson(request):
    _form, posts = _filtered(request, AidSettings.current().categories)
    features = [services.feature(p) for p in posts.filter(area__isnull=False)[:5000]]
    return JsonResponse({"type": "FeatureCollection", "features": features})


@require_POST
@login_required
@limited("comment")
def create(request):
    form = HelpPostForm(request.POST, categories=AidSettings.current().categories)
    if not form.is_valid():
        return render(request, "aid/create_failed.html", {"form": form}, status=400)
    data = form.cleaned_data
    try:
        post = services.post_help(author=request.user, kind=data["kind"], category=data["category"],
                                  title=data["title"], body=data["body"], latitude=data.get("latitude"),
                                  longitude=data.get("longitude"), area_label=data.get("area_label", ""))  # fmt: skip
    except (services.Refused, services.moderation.Banned) as exc:
        messages.error(request, str(exc))
        return redirect("aid:list")
    if post.visibility == Visibility.HELD:
        messages.info(request, _("Merci ! Votre annonce sera publiée après vérification par la modération."))
        return redirect("aid:list")
    messages.success(request, _("Annonce publiée."))
    return redirect(post)


def detail(request, pk):
    post = get_object_or_404(visible_posts(), pk=pk)
    mine = request.user.is_authenticated and post.author_id == request.user.pk
    conversations = post.conversations.select_related("asker") if mine else None
    existing = None
    if request.user.is_authenticated and not mine:
        existing = Conversation.objects.filter(post=post, asker=request.user).first()
    return render(request, "aid/detail.html", {
        "post": post, "mine": mine, "conversations": conversations, "existing": existing,
        "form": MessageForm() if request.user.is_authenticated and not mine else None,
    })  # fmt: skip


def _url_for(request):
    return lambda conversation: request.build_absolute_uri(reverse("aid:conversation", args=[conversation.pk]))


@require_POST
@login_required
@limited("comment")
def write(request, pk):
    post = get_object_or_404(visible_posts(), pk=pk)
    form = MessageForm(posted(request))
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(post)
    try:
        conversation = services.contact(post, asker=request.user, body=form.cleaned_data["body"],
                                        url_for=_url_for(request))  # fmt: skip
    except (services.Refused, services.moderation.Banned) as exc:
        messages.error(request, str(exc))
        return redirect(post)
    messages.success(request, _("Message envoyé. La réponse arrivera par e-mail et ici."))
    return redirect(conversation)


@require_POST
@login_required
def close(request, pk):
    post = get_object_or_404(HelpPost, pk=pk)
    try:
        services.close(post, request.user)
    except services.Refused as exc:
        messages.error(request, str(exc))
        return redirect(post)
    messages.success(request, _("Annonce close. Merci !"))
    return redirect("aid:list")


@login_required
@limited("comment")
def conversation(request, pk):
    conv = get_object_or_404(Conversation.objects.select_related("post__author", "asker"), pk=pk)
    if request.user.pk not in (conv.asker_id, conv.post.author_id):
        raise Http404
    form = MessageForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.reply(conv, sender=request.user, body=form.cleaned_data["body"], url_for=_url_for(request))
            messages.success(request, _("Message envoyé."))
        except services.Refused as exc:
            messages.error(request, str(exc))
        return redirect(conv)
    return render(request, "aid/conversation.html", {"conversation": conv, "form": form,
                                                     "thread": conv.messages.select_related("sender")})  # fmt: skip


def export(request, fmt):
    """Every post (hidden ones marked) for the team; e-mails only for contact-base readers."""
    from campaigns.http import FileResponse
    from campaigns.spreadsheets import write_table
    from participation.templatetags.site import author_label

    if fmt not in ("csv", "xlsx") or not (request.user.is_authenticated and request.user.has_perm("site.edit")):
        raise Http404
    personal = request.user.has_perm("crm.read_contacts")
    headers = ["id", _("Type"), _("Catégorie"), _("Titre"), _("Description"), _("Quartier"), _("Statut"),
               _("Modération"), _("Date"), _("Auteur")] + ([_("E-mail")] if personal else [])  # fmt: skip
    rows = []
    for p in HelpPost.objects.select_related("author").exclude(visibility=Visibility.TRASHED).order_by("id"):
        row = [p.pk, p.get_kind_display(), p.category, p.title, p.body, p.area_label, p.get_status_display(),
               p.get_visibility_display(), p.created.isoformat(), author_label(p.author)]  # fmt: skip
        if personal:
            row.append(p.author.email if p.author else "")
        rows.append(row)
    return FileResponse(write_table(headers, rows, fmt=fmt, sheet=str(_("Entraide"))), as_attachment=True,
                        filename=f"entraide.{fmt}")  # fmt: skip
