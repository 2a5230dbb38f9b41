"""Consultation pages: the text's sections, contributions with votes and arguments,
the team's synthesis, the opinion groups."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from campaigns.http import posted_text
from crm.views import staff_required
from participation import access
from participation.models import Visibility
from participation.ratelimit import limited
from participation.views import posted

from . import services
from .models import Argument, Contribution, TextSection

SORTS = {"supported": gettext_lazy("Les plus soutenues"), "controversial": gettext_lazy("Les plus débattues"),
         "new": gettext_lazy("Les plus récentes")}  # fmt: skip


class SectionForm(forms.ModelForm):
    class Meta:
        model = TextSection
        fields = ["title", "body"]


def step_consultation(request, project, step, steps):
    sections = services.sections_for(step).annotate(
        n=Count("contributions", filter=Q(contributions__visibility=Visibility.VISIBLE))
    )
    staff = request.user.is_staff and request.user.has_perm("site.edit")
    form = SectionForm(posted(request)) if staff else None
    if staff and request.method == "POST" and form.is_valid():
        section = form.save(commit=False)
        section.step = step
        section.position = (sections.count() or 0) + 1
        section.save()
        messages.success(request, _("Section ajoutée."))
        return redirect(step)
    return render(request, "debate/step.html", {
        "project": project, "step": step, "steps": steps, "sections": sections, "form": form,
        "groups": services.described_groups(step),
    })  # fmt: skip


def _section_for(request, pk):
    section = get_object_or_404(TextSection.objects.select_related("step__project"), pk=pk)
    if not access.can_view(request.user, section.step.project):
        raise Http404
    return section


def section(request, pk):
    section = _section_for(request, pk)
    sort = request.GET.get("tri") if request.GET.get("tri") in SORTS else "supported"
    contributions = services.ordered(
        Contribution.public().filter(section=section).select_related("author"), sort
    ).prefetch_related("arguments__author")
    mine = {}
    if request.user.is_authenticated:
        from .models import Vote

        mine = dict(Vote.objects.filter(user=request.user, contribution__section=section)
                    .values_list("contribution_id", "value"))  # fmt: skip
    project = section.step.project
    for c in contributions:
        c.my_vote = mine.get(c.pk)
        c.visible_arguments = [a for a in c.arguments.all() if a.visibility == Visibility.VISIBLE]
    return render(request, "debate/section.html", {
        "section": section, "step": section.step, "project": project, "contributions": contributions,
        "sort": sort, "sorts": SORTS, "may": access.can_participate(request.user, project)
        and section.step.status() == "open",
        "staff": request.user.is_staff and request.user.has_perm("site.moderate"),
    })  # fmt: skip


def _refused(request, exc, target):
    messages.error(request, str(exc))
    return redirect(target)


@require_POST
@login_required
@limited("comment")
def contribute(request, pk):
    section = _section_for(request, pk)
    if not access.can_participate(request.user, section.step.project):
        return _refused(request, _("Ce projet est réservé aux participants autorisés."), section)
    body = posted_text(request, "body")
    kind = request.POST.get("kind", Contribution.Kind.CONTRIBUTION)
    if not body or len(body) > 3000 or kind not in Contribution.Kind.values:
        return _refused(request, _("Écrivez votre contribution (3 000 caractères au plus)."), section)
    try:
        contribution = services.contribute(section, author=request.user, body=body, kind=kind)
    except (services.Refused, services.moderation.Banned) as exc:
        return _refused(request, exc, section)
    if contribution.visibility == Visibility.HELD:
        messages.info(request, _("Merci ! Votre contribution sera publiée après vérification par la modération."))
    return redirect(section)


def _contribution_for(request, pk):
    contribution = get_object_or_404(Contribution.objects.select_related("section__step__project"), pk=pk,
                                     visibility=Visibility.VISIBLE)  # fmt: skip
    if not access.can_view(request.user, contribution.section.step.project):
        raise Http404
    return contribution


@require_POST
@login_required
@limited("vote")
def vote(request, pk):
    contribution = _contribution_for(request, pk)
    if not access.can_participate(request.user, contribution.section.step.project):
        return _refused(request, _("Ce projet est réservé aux participants autorisés."), contribution)
    try:
        services.vote(contribution, user=request.user, value=int(request.POST.get("value", "x")))
    except ValueError as exc:
        message = (
            str(exc) if isinstance(exc, services.Refused) else _("Vote inconnu : d'accord, mitigé ou pas d'accord.")
        )
        return _refused(request, message, contribution)
    return redirect(contribution.get_absolute_url())


@require_POST
@login_required
@limited("comment")
def argue(request, pk):
    contribution = _contribution_for(request, pk)
    if not access.can_participate(request.user, contribution.section.step.project):
        return _refused(request, _("Ce projet est réservé aux participants autorisés."), contribution)
    body = posted_text(request, "body")
    if not body or len(body) > 2000:
        return _refused(request, _("Écrivez votre argument (2 000 caractères au plus)."), contribution)
    try:
        services.argue(contribution, author=request.user, side=request.POST.get("side", ""), body=body)
    except (services.Refused, services.moderation.Banned) as exc:
        return _refused(request, exc, contribution)
    return redirect(contribution.get_absolute_url())


@require_POST
@login_required
@limited("vote")
def support(request, pk):
    argument = get_object_or_404(Argument.objects.select_related("contribution__section__step__project"), pk=pk,
                                 visibility=Visibility.VISIBLE)  # fmt: skip
    if not access.can_participate(request.user, argument.contribution.section.step.project):
        raise Http404
    try:
        services.support_argument(argument, request.user)
    except services.Refused as exc:
        messages.error(request, str(exc))
    return redirect(argument.get_absolute_url())


@require_POST
@staff_required("site.moderate")
def synthesis(request, pk):
    section = get_object_or_404(TextSection, pk=pk)
    services.publish_synthesis(section, text=posted_text(request, "synthesis"))
    messages.success(request, _("Synthèse publiée."))
    return redirect(section)


def export(request, slug, position, fmt):
    """A consultation's visible contributions with their votes and arguments, for the team."""
    from campaigns.http import FileResponse
    from campaigns.spreadsheets import write_table
    from participation.templatetags.site import author_label
    from participation.views import _project_for

    if fmt not in ("csv", "xlsx") or not (request.user.is_authenticated and request.user.has_perm("site.edit")):
        raise Http404
    project = _project_for(request, slug)
    step = get_object_or_404(project.steps, position=position)
    personal = request.user.has_perm("crm.read_contacts")
    headers = ["id", _("Section"), _("Type"), _("Texte"), _("D'accord"), _("Pas d'accord"), _("Mitigé"),
               _("Arguments pour"), _("Arguments contre"), _("Date"), _("Auteur")]  # fmt: skip
    if personal:
        headers.append(_("E-mail"))
    visible_arguments = Q(arguments__visibility=Visibility.VISIBLE)
    contributions = (
        Contribution.public().filter(section__step=step).select_related("section", "author")
        .annotate(pros=Count("arguments", filter=visible_arguments & Q(arguments__side="for")),
                  cons=Count("arguments", filter=visible_arguments & Q(arguments__side="against")))
        .order_by("section__position", "id")
    )  # fmt: skip
    rows = []
    for c in contributions:
        row = [c.pk, c.section.title, c.get_kind_display(), c.body, c.agree, c.disagree, c.mixed, c.pros, c.cons,
               c.created.isoformat(), author_label(c.author)]  # fmt: skip
        if personal:
            row.append(c.author.email if c.author else "")
        rows.append(row)
    return FileResponse(write_table(headers, rows, fmt=fmt, sheet=step.title), as_attachment=True,
                        filename=f"{project.slug}-consultation-{step.position}.{fmt}")  # fmt: skip
