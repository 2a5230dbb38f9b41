"""Idea box and Q&A pages: a step's list and map, a proposal's page, votes, answers,
exports. Registered as the views of collect / selection / vote / Q&A steps."""

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Exists, F, Func, OuterRef, TextField, Value
from django.db.models.functions import Cast, Concat
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.http import FileResponse, redirect_back
from campaigns.spreadsheets import write_table
from crm.views import staff_required
from participation import access
from participation.models import Step, Visibility
from participation.ratelimit import limited
from participation.templatetags.site import author_label
from participation.views import posted, with_comments

from . import services
from .forms import AnswerForm, FilterForm, ProposalForm, QuestionAnswerForm, QuestionForm
from .models import Proposal, Question, Vote


def _zones():
    """Zones offered as a filter; cached a minute (they change rarely, pages are many)."""
    from django.core.cache import cache

    from crm.field.models import Zone

    zones = cache.get("ideas:zones")
    if zones is None:
        zones = list(Zone.objects.order_by("name").values_list("pk", "name")[:200])
        cache.set("ideas:zones", zones, 60)
    return zones


def visible_proposals(step):
    return Proposal.objects.filter(step=step, visibility=Visibility.VISIBLE)


def _visitor_seed(request):
    # "Random" order that stays the same for one visitor, page after page.
    if "ideas_seed" not in request.session:
        request.session["ideas_seed"] = hashlib.sha256(str(id(request)).encode()).hexdigest()[:12]
    return request.session["ideas_seed"]


def filtered(request, step):
    themes = step.config.get("themes") or []
    form = FilterForm(request.GET or None, themes=themes, zones=_zones())
    proposals = visible_proposals(step).select_related("author")
    sort = "votes"
    if form.is_valid():
        data = form.cleaned_data
        if data["theme"]:
            proposals = proposals.filter(theme=data["theme"])
        if data["status"]:
            proposals = proposals.filter(status=data["status"])
        if data["zone"]:
            from crm.field.models import Zone

            zone = Zone.objects.filter(pk=data["zone"]).first()
            if zone:
                proposals = proposals.filter(location__within=zone.geometry)
        sort = data["sort"] or sort
    order = {
        "votes": ["-votes_count", "-created"],
        "new": ["-created", "-id"],
        "comments": ["-comments_count", "-created"],
    }.get(sort)
    if order:
        proposals = proposals.order_by(*order)
    else:
        seed = _visitor_seed(request)
        proposals = proposals.annotate(
            shuffle=Func(Concat(Cast("id", TextField()), Value(seed)), function="md5", output_field=TextField())
        ).order_by("shuffle")
    return form, proposals


def step_ideas(request, project, step, steps):
    form, proposals = filtered(request, step)
    if request.user.is_authenticated:
        proposals = proposals.annotate(voted=Exists(Vote.objects.filter(proposal=OuterRef("pk"), user=request.user)))
    page = Paginator(proposals, 20).get_page(request.GET.get("page"))
    may = access.can_participate(request.user, project)
    new_form = None
    if step.kind == Step.Kind.COLLECT and may and step.status() == Step.Status.OPEN:
        new_form = ProposalForm(themes=step.config.get("themes") or [])
    return render(request, "ideas/step_ideas.html", {
        "project": project, "step": step, "steps": steps, "page": page,
        "filter_form": form, "may_participate": may, "new_form": new_form,
        "view": "map" if request.GET.get("vue") == "carte" else "list",
        "query": request.GET.urlencode(),
    })  # fmt: skip


def _step_for(request, slug, position):
    from participation.views import _project_for

    project = _project_for(request, slug)
    return project, get_object_or_404(project.steps, position=position)


@require_POST
@login_required
@limited("comment")
def propose(request, slug, position):
    project, step = _step_for(request, slug, position)
    if not access.can_participate(request.user, project):
        messages.error(request, _("Ce projet est réservé aux participants autorisés."))
        return redirect(step)
    form = ProposalForm(request.POST, request.FILES, themes=step.config.get("themes") or [])
    if not form.is_valid():
        return render(request, "ideas/propose_failed.html", {"form": form, "step": step, "project": project},
                      status=400)  # fmt: skip
    data = form.cleaned_data
    try:
        proposal = services.submit_proposal(
            step, author=request.user, title=data["title"], body=data["body"], theme=data.get("theme", ""),
            location=data["location"], address=data.get("address", ""), image=data.get("image"),
        )  # fmt: skip
    except services.Refused as exc:
        messages.error(request, str(exc))
        return redirect(step)
    if proposal.visibility == Visibility.HELD:
        messages.info(request, _("Merci ! Votre proposition sera publiée après vérification par la modération."))
        return redirect(step)
    messages.success(request, _("Proposition publiée."))
    return redirect(proposal)


def _proposal_for(request, pk):
    proposal = get_object_or_404(Proposal.objects.select_related("step__project", "author"), pk=pk)
    if not access.can_view(request.user, proposal.step.project):
        raise Http404
    staff = request.user.has_perm("site.moderate")
    if proposal.visibility != Visibility.VISIBLE and not (staff and proposal.visibility == Visibility.HELD):
        raise Http404
    return proposal


def proposal_detail(request, pk):
    proposal = _proposal_for(request, pk)
    step = proposal.step
    voted = request.user.is_authenticated and proposal.votes.filter(user=request.user).exists()
    context = {
        "proposal": proposal, "step": step, "project": step.project, "voted": voted,
        "may_vote": step.kind in services.VOTING_KINDS and step.status() == Step.Status.OPEN
        and access.can_participate(request.user, step.project),
        "answer_form": AnswerForm(initial={"status": proposal.status, "answer": proposal.answer})
        if request.user.has_perm("site.moderate") else None,
    }  # fmt: skip
    return render(request, "ideas/proposal.html", with_comments(request, proposal, context))


@require_POST
@login_required
@limited("vote")
def proposal_vote(request, pk):
    proposal = _proposal_for(request, pk)
    if not access.can_participate(request.user, proposal.step.project):
        return _vote_answer(request, proposal, _("Ce projet est réservé aux participants autorisés."), status=403)
    try:
        if request.POST.get("retirer"):
            services.unvote(proposal, request.user)
            proposal.refresh_from_db(fields=["votes_count"])
            return _vote_answer(request, proposal, _("Vote retiré."))
        services.vote(proposal, request.user)
    except services.AlreadyVoted as exc:
        return _vote_answer(request, proposal, str(exc), status=409)
    except services.Refused as exc:
        return _vote_answer(request, proposal, str(exc), status=403)
    return _vote_answer(request, proposal, _("Vote enregistré."))


def _vote_answer(request, proposal, message, status=200):
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"message": message, "votes": proposal.votes_count}, status=status)
    (messages.success if status == 200 else messages.error)(request, message)
    return redirect_back(request, proposal.get_absolute_url())


@require_POST
@staff_required("site.moderate")
def proposal_answer(request, pk):
    proposal = get_object_or_404(Proposal, pk=pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        services.answer_proposal(proposal, status=form.cleaned_data["status"], answer=form.cleaned_data["answer"],
                                 actor=request.user)  # fmt: skip
        messages.success(request, _("Réponse publiée."))
    else:
        messages.error(request, _("Statut inconnu."))
    return redirect(proposal)


def step_geojson(request, slug, position):
    """The step's visible, geolocated proposals (for its map view)."""
    _project, step = _step_for(request, slug, position)
    features = [services.contribution_feature(p) for p in visible_proposals(step).filter(location__isnull=False)[:5000]]
    return JsonResponse({"type": "FeatureCollection", "features": features})


@require_POST
@staff_required("site.edit")
def carry_forward(request, slug, position):
    """Bring the proposals the team selected earlier in the project into this vote step."""
    project, step = _step_for(request, slug, position)
    if step.kind != Step.Kind.VOTE:
        raise Http404
    earlier = project.steps.filter(position__lt=step.position).order_by("-position").first()
    copied = services.carry_forward(earlier, step) if earlier else []
    messages.success(request, _("%(n)d propositions retenues reprises dans cette étape.") % {"n": len(copied)})
    return redirect(step)


@staff_required("site.edit")
def step_export(request, slug, position, fmt):
    """Proposals (or questions) of a step with their votes; authors' names and e-mails
    only for people who may read the contact base."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    _project, step = _step_for(request, slug, position)
    personal = request.user.has_perm("crm.read_contacts")
    if step.kind == Step.Kind.QA:
        headers = ["id", _("Question"), _("Soutiens"), _("Réponse"), _("Répondu le"), _("Date")]
        items = Question.objects.filter(step=step, visibility=Visibility.VISIBLE).select_related("author")
        rows = [[q.pk, q.body, q.votes_count, q.answer, q.answered_at and q.answered_at.isoformat(),
                 q.created.isoformat()] for q in items]  # fmt: skip
    else:
        headers = ["id", _("Titre"), _("Description"), _("Thème"), _("Statut"), _("Soutiens"), _("Commentaires"),
                   _("Adresse"), "lat", "lon", _("Date")]  # fmt: skip
        items = visible_proposals(step).select_related("author").order_by("-votes_count", "id")
        rows = [[p.pk, p.title, p.body, p.theme, p.get_status_display(), p.votes_count, p.comments_count,
                 p.address, p.location and p.location.y, p.location and p.location.x, p.created.isoformat()]
                for p in items]  # fmt: skip
    if personal:
        headers += [_("Auteur"), _("E-mail")]
        for row, item in zip(rows, items, strict=True):
            row += [author_label(item.author), item.author.email if item.author else ""]
    else:
        headers.append(_("Auteur"))
        for row, item in zip(rows, items, strict=True):
            row.append(author_label(item.author))
    out = write_table(headers, rows, fmt=fmt, sheet=step.title)
    return FileResponse(out, as_attachment=True, filename=f"{step.project.slug}-etape-{step.position}.{fmt}")


# -- Q&A --------------------------------------------------------------------------------


def step_questions(request, project, step, steps):
    # is_staff first: for citizens it spares the permission queries.
    staff = request.user.is_staff and request.user.has_perm("site.moderate")
    questions = Question.objects.filter(step=step, visibility=Visibility.VISIBLE).select_related("author")
    if staff:
        # The team's view: the most asked questions without an answer first.
        questions = questions.order_by(F("answered_at").asc(nulls_first=True), "-votes_count", "created")
    page = Paginator(questions, 30).get_page(request.GET.get("page"))
    supported = set()
    if request.user.is_authenticated:
        supported = set(
            Question.votes.rel.related_model.objects.filter(
                user=request.user, question__in=[q.pk for q in page]
            ).values_list("question_id", flat=True)
        )
    may = access.can_participate(request.user, project) and step.status() == Step.Status.OPEN
    return render(request, "ideas/step_questions.html", {
        "project": project, "step": step, "steps": steps, "page": page,
        "supported": supported, "ask_form": QuestionForm() if may else None, "may_participate": may,
        "staff": staff, "answer_form": QuestionAnswerForm() if staff else None,
    })  # fmt: skip


@require_POST
@login_required
@limited("comment")
def ask(request, slug, position):
    project, step = _step_for(request, slug, position)
    if not access.can_participate(request.user, project):
        messages.error(request, _("Ce projet est réservé aux participants autorisés."))
        return redirect(step)
    form = QuestionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(step)
    try:
        question = services.ask(step, author=request.user, body=form.cleaned_data["body"])
    except services.Refused as exc:
        messages.error(request, str(exc))
        return redirect(step)
    if question.visibility == Visibility.HELD:
        messages.info(request, _("Merci ! Votre question sera publiée après vérification par la modération."))
    else:
        messages.success(request, _("Question publiée."))
    return redirect(step)


def _question_for(request, pk):
    question = get_object_or_404(Question.objects.select_related("step__project"), pk=pk,
                                 visibility=Visibility.VISIBLE)  # fmt: skip
    if not access.can_view(request.user, question.step.project):
        raise Http404
    return question


@require_POST
@login_required
@limited("vote")
def question_upvote(request, pk):
    question = _question_for(request, pk)
    if not access.can_participate(request.user, question.step.project):
        messages.error(request, _("Ce projet est réservé aux participants autorisés."))
        return redirect(question.step)
    try:
        services.upvote(question, request.user)
        messages.success(request, _("Soutien enregistré."))
    except services.Refused as exc:
        messages.error(request, str(exc))
    return redirect(question.get_absolute_url())


@require_POST
@staff_required("site.moderate")
def question_answer(request, pk):
    question = _question_for(request, pk)
    form = QuestionAnswerForm(posted(request))
    if form.is_valid():
        services.answer_question(question, answer=form.cleaned_data["answer"], actor=request.user)
        messages.success(request, _("Réponse publiée."))
    else:
        messages.error(request, _("La réponse est vide."))
    return redirect(question.get_absolute_url())
