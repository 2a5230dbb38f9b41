"""Answering a questionnaire, one section per page, and its results."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from campaigns.http import FileResponse, posted_text
from campaigns.spreadsheets import write_table
from participation import access
from participation.models import Project, Step
from participation.ratelimit import over_limit, too_many_response

from . import services
from .models import Question


def _session_key(questionnaire):
    return f"survey:{questionnaire.pk}"


def _who(request):
    return request.user if request.user.is_authenticated else None


def _may_answer(request, project, questionnaire):
    """Signed-in participants; visitors without an account only for an anonymous
    questionnaire of a public project (once per browser)."""
    if access.can_participate(request.user, project):
        return True
    return (not request.user.is_authenticated and questionnaire.anonymous
            and project.visibility == Project.Visibility.PUBLIC)  # fmt: skip


def _answers(request, questionnaire):
    user = _who(request)
    if questionnaire.anonymous or user is None:
        return dict(request.session.get(_session_key(questionnaire), {}))
    draft = services.draft_for(questionnaire, user)
    return {str(q): v for q, v in draft.answers.values_list("question_id", "value")}


def _store(request, questionnaire, section, answers, section_answers):
    user = _who(request)
    if questionnaire.anonymous or user is None:
        request.session[_session_key(questionnaire)] = answers
    else:
        services.save_draft(services.draft_for(questionnaire, user), section_answers, section)


def _already_answered(request, questionnaire):
    if request.session.get(f"{_session_key(questionnaire)}:done"):
        return True
    return not services.can_answer_again(questionnaire, _who(request))


def _raw_values(request, section):
    raw = {}
    for q in section.shown:
        name = f"q{q.pk}"
        if q.kind == Question.Kind.MULTIPLE:
            raw[q.pk] = request.POST.getlist(name)
        elif q.kind == Question.Kind.RANKING:
            # "<name>-rank-<i>" = the position given to choice i; stored: the choices in order.
            ranks = [request.POST.get(f"{name}-rank-{i}", "").strip() for i in range(len(q.choices))]
            if not any(ranks):
                raw[q.pk] = []
                continue
            try:
                order = sorted(zip((int(r) for r in ranks), q.choices, strict=True))
            except ValueError:
                order = None
            if order is None or [r for r, _c in order] != list(range(1, len(q.choices) + 1)):
                raw[q.pk] = ["?"]  # refused by clean_answer with its message
            else:
                raw[q.pk] = [c for _r, c in order]
        else:
            raw[q.pk] = posted_text(request, name)
    return raw


def step_questionnaire(request, project, step, steps):
    questionnaire = services.questionnaire_for(step)
    context = {"project": project, "step": step, "steps": steps, "questionnaire": questionnaire}
    if _already_answered(request, questionnaire):
        return render(request, "surveys/done.html", context)
    if step.status() != Step.Status.OPEN or not _may_answer(request, project, questionnaire):
        return render(request, "surveys/closed.html", context | {"open": step.status() == Step.Status.OPEN})
    sections = services.visible_sections(questionnaire, _who(request))
    answers = _answers(request, questionnaire)
    route = services.path(sections, answers)
    if request.method == "POST" and request.POST.get("do") == "submit":
        if over_limit(request, "vote"):
            return too_many_response(request)
        try:
            services.submit(questionnaire, _who(request), answers, sections)
        except services.Refused as exc:
            messages.error(request, str(exc))
            return redirect(step)
        request.session.pop(_session_key(questionnaire), None)
        request.session[f"{_session_key(questionnaire)}:done"] = True
        messages.success(request, _("Merci, vos réponses sont enregistrées."))
        return redirect(step)
    try:
        index = int(request.POST.get("section") or request.GET.get("section") or -1)
    except ValueError:
        index = -1
    if index < 0:  # resume: the first section of the route without any answer
        index = next((i for i, s in enumerate(route) if not any(str(q.pk) in answers for q in s.shown)), len(route))
    errors = {}
    if request.method == "POST" and 0 <= index < len(route):
        section = route[index]
        section_answers, errors = services.clean_section(section, _raw_values(request, section))
        if not errors:
            for q in section.shown:
                answers.pop(str(q.pk), None)
            answers.update(section_answers)
            _store(request, questionnaire, section, answers, section_answers)
            route = services.path(sections, answers)
            following = route.index(section) + 1 if section in route else index + 1
            return redirect(f"{reverse('site:step', args=[project.slug, step.position])}?section={following}")
    if index >= len(route):
        missing = services.missing_required(sections, answers)
        return render(request, "surveys/review.html", context | {
            "route": route, "answers": answers, "missing": missing,
        })  # fmt: skip
    section = route[index]
    context |= {"section": section, "index": index, "count": len(route), "answers": answers, "errors": errors,
                "posted": request.POST if errors else None}  # fmt: skip
    return render(request, "surveys/section.html", context, status=400 if errors else 200)


def _results_allowed(request, questionnaire):
    return request.user.has_perm("site.edit") or questionnaire.public_results


def results(request, slug, position):
    from participation.views import _project_for

    project = _project_for(request, slug)
    step = project.steps.filter(position=position, kind=Step.Kind.QUESTIONNAIRE).first()
    if step is None:
        raise Http404
    questionnaire = services.questionnaire_for(step)
    if not _results_allowed(request, questionnaire):
        raise Http404
    data = services.results(questionnaire)
    charts = [
        {"id": f"chart-{r['question'].pk}", "labels": [str(label) for label, _n in r["counts"]],
         "values": [n for _label, n in r["counts"]]}
        for r in data["questions"] if r["counts"]
    ]  # fmt: skip
    return render(request, "surveys/results.html", {
        "project": project, "step": step, "data": data, "charts": charts,
        "staff": request.user.has_perm("site.edit"),
    })  # fmt: skip


def export(request, slug, position, fmt):
    from participation.views import _project_for

    if fmt not in ("csv", "xlsx") or not request.user.has_perm("site.edit"):
        raise Http404
    project = _project_for(request, slug)
    step = project.steps.filter(position=position, kind=Step.Kind.QUESTIONNAIRE).first()
    if step is None:
        raise Http404
    headers, rows = services.export_rows(services.questionnaire_for(step))
    out = write_table(headers, rows, fmt=fmt, sheet=step.title)
    return FileResponse(out, as_attachment=True, filename=f"{project.slug}-questionnaire-{step.position}.{fmt}")
