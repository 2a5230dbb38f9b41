"""The public site: home, news, pages, events, projects, comments, citizen accounts."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns import signing
from campaigns.http import FileResponse, parse_id

from . import access, citizens, moderation, selectors, services
from .forms import CommentForm, DeleteAccountForm, FlagForm, ProfileForm, ResendForm, RsvpForm, SignUpForm
from .models import Comment, Event, Moderated, NewsPost, Page, Project, Rsvp, Visibility
from .ratelimit import limited


def posted(request):
    """The POST data, even empty (an empty form sent is still a form sent), or None."""
    return request.POST if request.method == "POST" else None


RSVP_SALT = "participation.rsvp-cancel"


def home(request):
    projects = selectors.with_steps(selectors.current_first(access.visible_projects(request.user)))[:6]
    context = {
        "projects": [(p, services.current_step(p)) for p in projects],
        "news": selectors.published_news()[:3],
        "events": selectors.upcoming_events()[:3],
        "figures": selectors.key_figures(),
    }
    return render(request, "participation/home.html", context)


def news_list(request):
    page = Paginator(selectors.published_news(), 10).get_page(request.GET.get("page"))
    return render(request, "participation/news_list.html", {"page": page})


def news_post(request, slug):
    post = get_object_or_404(selectors.published_news(), slug=slug)
    return render(request, "participation/news_post.html", with_comments(request, post, {"post": post}))


def page(request, slug):
    return render(request, "participation/page.html", {"page": get_object_or_404(Page, slug=slug, published=True)})


def event_list(request):
    events = selectors.upcoming_events()
    return render(request, "participation/event_list.html", {"events": events})


def event_detail(request, slug):
    event = get_object_or_404(Event, slug=slug, published=True)
    initial = {}
    if request.user.is_authenticated:
        initial = {"name": request.user.full_name, "email": request.user.email}
    mine = None
    if request.user.is_authenticated:
        mine = event.rsvps.filter(email=request.user.email).exclude(status=Rsvp.Status.CANCELLED).first()
    return render(request, "participation/event_detail.html", {
        "event": event, "form": RsvpForm(initial=initial), "counts": services.rsvp_counts(event), "mine": mine,
    })  # fmt: skip


@require_POST
@limited("rsvp")
def event_rsvp(request, slug):
    event = get_object_or_404(Event, slug=slug, published=True)
    form = RsvpForm(request.POST)
    if not form.is_valid():
        return render(request, "participation/event_detail.html", {
            "event": event, "form": form, "counts": services.rsvp_counts(event),
        }, status=400)  # fmt: skip
    user = request.user if request.user.is_authenticated else None
    registration = services.rsvp(event, name=form.cleaned_data["name"], email=form.cleaned_data["email"], user=user)
    token = signing.dumps(registration.pk, salt=RSVP_SALT)
    cancel_url = request.build_absolute_uri(reverse("site:event-cancel", args=[event.slug, token]))
    if registration.status == Rsvp.Status.GOING:
        messages.success(request, _("Vous êtes inscrit·e. Pour annuler : %(url)s") % {"url": cancel_url})
    else:
        messages.info(request, _("L'événement est complet : vous êtes sur la liste d'attente. Pour annuler : %(url)s")
                      % {"url": cancel_url})  # fmt: skip
    return redirect(event)


def event_cancel(request, slug, token):
    try:
        pk = signing.loads(token, salt=RSVP_SALT)
    except signing.BadSignature:
        raise Http404 from None
    registration = get_object_or_404(Rsvp, pk=pk, event__slug=slug)
    if request.method == "POST":
        services.cancel_rsvp(registration)
        messages.success(request, _("Votre inscription est annulée."))
        return redirect(registration.event)
    return render(request, "participation/event_cancel.html", {"registration": registration})


def event_ics(request, slug):
    event = get_object_or_404(Event, slug=slug, published=True)
    body = services.event_ics(event, url=request.build_absolute_uri(event.get_absolute_url()))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}.ics"'
    return response


def project_list(request):
    projects = selectors.with_steps(selectors.current_first(access.visible_projects(request.user)))
    return render(request, "participation/project_list.html",
                  {"projects": [(p, services.current_step(p)) for p in projects]})  # fmt: skip


def _project_for(request, slug):
    project = get_object_or_404(Project, slug=slug)
    if not access.can_view(request.user, project):
        raise Http404
    return project


def project_detail(request, slug):
    project = _project_for(request, slug)
    steps = list(project.steps.order_by("position"))
    context = {"project": project, "steps": steps, "current": services.current_step(project)}
    return render(request, "participation/project_detail.html", with_comments(request, project, context))


# Views of the modules a step hosts, by step kind: participation.ideas registers the
# idea box and Q&A. Each takes (request, project, step) and returns a response.
STEP_VIEWS = {}


def step_detail(request, slug, position):
    project = _project_for(request, slug)
    steps = list(project.steps.order_by("position"))
    step = next((s for s in steps if s.position == position), None)
    if step is None:
        raise Http404
    step.project = project
    if step.kind in STEP_VIEWS:
        return STEP_VIEWS[step.kind](request, project, step, steps)
    return render(request, "participation/step_detail.html", {"project": project, "step": step, "steps": steps})


# -- Comments and reports -----------------------------------------------------------------

# What can be commented, by URL name; modules add theirs (participation.ideas: proposals).
COMMENTABLE = {"news": NewsPost, "project": Project}


def project_of(target):
    """The project a commentable thing belongs to, or None (news posts)."""
    if isinstance(target, Project):
        return target
    step = getattr(target, "step", None)
    return step.project if step is not None else None


def with_comments(request, target, context):
    context["comments"] = selectors.comments_on(target)
    context["comment_form"] = CommentForm()
    context["comment_target"] = (_kind_of(target), target.pk)
    context["may_comment"] = _may_comment(request.user, target)
    return context


def _kind_of(target):
    return next(k for k, m in COMMENTABLE.items() if isinstance(target, m))


def _may_comment(user, target):
    project = project_of(target)
    if project is not None:
        return access.can_participate(user, project)
    return user.is_authenticated and user.is_active


@require_POST
@login_required
@limited("comment")
def comment(request, kind, pk):
    model = COMMENTABLE.get(kind)
    if model is None:
        raise Http404
    target = get_object_or_404(model, pk=pk)
    project = project_of(target)
    if project is not None:
        if not access.can_view(request.user, project):
            raise Http404
        if isinstance(target, Moderated) and target.visibility != Visibility.VISIBLE:
            raise Http404
    elif not target.is_published:
        raise Http404
    if not _may_comment(request.user, target):
        messages.error(request, _("Ce projet est réservé aux participants autorisés."))
        return redirect(target)
    form = CommentForm(request.POST)
    parent = None
    if request.POST.get("parent"):
        parent = Comment.objects.filter(pk=parse_id(request.POST["parent"]), object_id=target.pk,
                                        content_type=ContentType.objects.get_for_model(model)).first()  # fmt: skip
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(target)
    try:
        posted = moderation.post_comment(
            target, author=request.user, body=form.cleaned_data["body"], parent=parent,
            anonymous=project is not None and project.anonymous,
        )  # fmt: skip
    except moderation.Banned as exc:
        messages.error(request, str(exc))
        return redirect(target)
    if posted.visibility == Visibility.HELD:
        messages.info(request, _("Merci ! Votre commentaire sera publié après vérification par la modération."))
    else:
        messages.success(request, _("Commentaire publié."))
    return redirect(f"{target.get_absolute_url()}#comment-{posted.pk}")


# What can be reported, by URL name; modules add theirs (proposals, questions, help posts).
FLAGGABLE = {"commentaire": Comment}


@limited("flag")
def flag(request, kind, pk):
    model = FLAGGABLE.get(kind)
    if model is None:
        raise Http404
    obj = get_object_or_404(model, pk=pk, visibility=Visibility.VISIBLE)
    form = FlagForm(posted(request))
    if request.method == "POST" and form.is_valid():
        moderation.flag(obj, reason=form.cleaned_data["reason"], text=form.cleaned_data["text"],
                        reporter=request.user if request.user.is_authenticated else None)  # fmt: skip
        messages.success(request, _("Merci, la modération va examiner ce signalement."))
        return redirect(obj.get_absolute_url())
    return render(request, "participation/flag.html", {"form": form, "obj": obj},
                  status=400 if request.method == "POST" else 200)  # fmt: skip


# -- Citizen accounts ---------------------------------------------------------------------


def _confirm_url(request, user, **pending):
    token = citizens.confirmation_token(user, **pending)
    return request.build_absolute_uri(reverse("site:confirm", args=[token]))


@limited("signup")
def sign_up(request):
    if request.user.is_authenticated:
        return redirect("site:profile")
    form = SignUpForm(posted(request), region=getattr(connection.tenant, "phone_region", "FR"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = citizens.sign_up(email=data["email"], password=data["password"], full_name=data["full_name"],
                                display_name=data["display_name"], language=get_language() or "")  # fmt: skip
        citizens.send_confirmation(user, url=_confirm_url(request, user, consents=form.consents(), phone=data["phone"]))
        request.session["signup_email"] = user.email
        return redirect("site:signup-sent")
    return render(request, "participation/signup.html", {"form": form}, status=400 if form.errors else 200)


def sign_up_sent(request):
    return render(request, "participation/signup_sent.html", {"email": request.session.get("signup_email", "")})


@limited("resend")
def resend_confirmation(request):
    form = ResendForm(posted(request))
    if request.method == "POST" and form.is_valid():
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(email__iexact=form.cleaned_data["email"], is_active=False,
                                               citizen__email_confirmed_at__isnull=True).first()  # fmt: skip
        if user:
            citizens.send_confirmation(user, url=_confirm_url(request, user))
        # Same answer whether or not the address has an account: no account probing.
        messages.info(
            request, _("Si un compte attend une confirmation à cette adresse, un nouveau lien vient d'y être envoyé.")
        )
        return redirect("site:signup-sent")
    return render(request, "participation/resend.html", {"form": form})


def confirm(request, token):
    try:
        user = citizens.confirm(token)
    except citizens.BadToken as exc:
        return render(request, "participation/confirm_failed.html", {"message": str(exc)}, status=400)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, _("Votre adresse est confirmée : bienvenue !"))
    return redirect("site:profile")


@login_required
def profile(request):
    user = request.user
    prof = citizens.profile_of(user)
    contact = prof.contact
    initial = {
        "full_name": user.full_name, "display_name": user.display_name,
        "consent_email": bool(contact and contact.consent_email), "consent_sms": bool(contact and contact.consent_sms),
        "notify_news": prof.notify_news, "notify_projects": prof.notify_projects, "notify_replies": prof.notify_replies,
    }  # fmt: skip
    form = ProfileForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user.full_name, user.display_name = data["full_name"], data["display_name"]
        user.save(update_fields=["full_name", "display_name"])
        prof.notify_news, prof.notify_projects = data["notify_news"], data["notify_projects"]
        prof.notify_replies = data["notify_replies"]
        prof.save(update_fields=["notify_news", "notify_projects", "notify_replies"])
        if contact is not None:
            wanted = {
                c: data[f"consent_{c}"] for c in ("email", "sms") if data[f"consent_{c}"] != initial[f"consent_{c}"]
            }
            citizens.set_consents(contact, wanted, actor=user, source=citizens.SOURCE)
        messages.success(request, _("Profil enregistré."))
        return redirect("site:profile")
    return render(request, "participation/profile.html", {"form": form, "profile": prof})


@login_required
def delete_account(request):
    form = DeleteAccountForm(posted(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        citizens.delete_account(user, erase_contact=form.cleaned_data["erase"])
        messages.success(request, _("Votre compte est supprimé."))
        return redirect("home")
    return render(request, "participation/delete_account.html", {"form": form})


def media(request, schema, path):
    """Images the team uploaded, from this campaign's own storage only (the storage keeps
    each campaign's files under MEDIA_ROOT/<schema>/; its URLs name the schema)."""
    if schema != connection.schema_name or ".." in path.split("/") or not default_storage.exists(path):
        raise Http404
    response = FileResponse(default_storage.open(path, "rb"))
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
