import hashlib
import json
from pathlib import Path

from django.contrib import messages
from django.contrib.staticfiles import finders
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie

from campaigns.accounts.models import AuditEntry
from campaigns.http import parse_id, posted_text
from crm.views import staff_required

from . import people
from .actions import BadSurvey, sensitive_questions
from .calls import build_call_list
from .forms import ActionForm, AssignmentForm, CutForm
from .models import Action, Assignment, ReviewSettings, TargetingWeights, Turf, Zone
from .printable import turf_pdf
from .targeting import BadIndicators, import_indicators, read_indicator_file, set_weights
from .tracking import progress_of
from .turfs import CannotCut, cut_zone
from .zones import BadZoneFile, import_zones, read_zone_file


@staff_required("live.follow")
def zone_map(request):
    """The team's map of zones; organizers draw zones and turfs, import zones, attach
    indicators and set the weights of the priority score here."""
    can_edit = request.user.has_perm("campaign.manage_team")
    if request.method == "POST" and can_edit:
        what = request.POST.get("form", "zones")
        upload = request.FILES.get("file")
        if what == "weights":
            _save_weights(request)
        elif upload is None:
            messages.error(request, _("Joignez un fichier."))
        elif what == "indicators":
            try:
                raw = read_indicator_file(upload)
                count = import_indicators(raw, key_field=request.POST.get("key_field") or "code", actor=request.user)
            except BadIndicators as exc:
                for problem in exc.problems:
                    messages.error(request, problem)
            else:
                messages.success(request, _("Indicateurs attachés à %(n)d zones ; scores recalculés.") % {"n": count})
        else:
            try:
                result = import_zones(read_zone_file(upload), actor=request.user)
            except BadZoneFile as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    _("%(c)d zones créées, %(u)d mises à jour.") % {"c": result.created, "u": result.updated},
                )
                for line in result.warnings + result.refused:
                    messages.warning(request, line)
        return redirect("field:zones")
    weights = TargetingWeights.current().weights
    indicators = sorted({k for z in Zone.objects.values_list("indicators", flat=True) for k in (z or {})})
    return render(
        request,
        "field/zone_map.html",
        {
            "can_edit": can_edit,
            "weights_text": "\n".join(f"{k} = {v:g}" for k, v in weights.items()),
            "indicators": indicators,
        },
    )


def _save_weights(request):
    """Weights typed one per line, `indicator = weight`."""
    weights, problems = {}, []
    for n, line in enumerate(request.POST.get("weights", "").splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        try:
            weights[name.strip()] = float(value.replace(",", "."))
            if not sep or not name.strip():
                raise ValueError
        except ValueError:
            problems.append(_("Ligne %(n)d : écrivez « indicateur = poids » (ex. « abstention = 2 »).") % {"n": n})
    if not problems:
        try:
            set_weights(weights, actor=request.user)
        except BadIndicators as exc:
            problems = exc.problems
    for problem in problems:
        messages.error(request, problem)
    if not problems:
        messages.success(request, _("Pondération enregistrée ; scores recalculés."))


@staff_required("field.report")
@ensure_csrf_cookie
def canvass_app(request):
    """The volunteers' mobile app (installable, works offline): assignments, walk
    lists, door-to-door and phone reports. Everything it shows comes from the API."""
    return render(
        request,
        "field/app.html",
        {
            "storage_key": f"{request.tenant.schema_name}-{request.user.pk}",
            "i18n": app_strings(),
        },  # fmt: skip
    )


def app_strings():
    """The app's words, translated here and handed to canvass.js."""
    return {
        "offline": _("Hors ligne"),
        "pending": _("en attente d'envoi"),
        "synced": _("Tout est envoyé"),
        "sending": _("Envoi en cours…"),
        "refused": _("refusé"),
        "refused_many": _("refusés"),
        "recent": _("déjà contactée ces derniers jours : pas besoin d'y revenir"),
        "download": _("Télécharger le secteur"),
        "open": _("Ouvrir"),
        "downloaded": _("Disponible hors ligne"),
        "no_assignment": _("Aucune affectation en cours."),
        "doors": _("portes"),
        "back": _("Retour"),
        "script": _("Argumentaire"),
        "save": _("Enregistrer"),
        "cancel": _("Annuler"),
        "result": _("Résultat"),
        "notes": _("Notes"),
        "leaflets": _("Tracts déposés"),
        "use_gps": _("Joindre ma position GPS"),
        "done": _("fait"),
        "today": _("Aujourd'hui"),
        "report_today": _("compte rendu"),  # the language's "one" (in French 0 and 1)
        "reports_today": _("comptes rendus"),
        "next_call": _("Personne suivante"),
        "call_done": _("Liste terminée : plus personne à appeler."),
        "call": _("Appeler"),
        "household": _("Foyer"),
        "nobody": _("Personne de connu"),
        "new_person": _("Quelqu'un qui n'est pas sur la liste"),
        "new_person_short": _("Nouvelle personne"),
        "new_person_help": _(
            "Son nom et, si elle est d'accord, comment la joindre : elle rejoint les contacts "
            "de la campagne avec ce compte rendu, une fois validé par l'équipe."
        ),
        "first_names": _("Prénom"),
        "last_name": _("Nom"),
        "phone": _("Téléphone"),
        "email": _("E-mail"),
        "agrees_to": _("D'accord pour recevoir"),
        "consent_sms": _("des SMS"),
        "consent_email": _("des e-mails"),
        "consent_phone": _("des appels"),
        "np_name_needed": _("Indiquez au moins le nom ou le prénom de la personne rencontrée."),
        "np_not_met": _("Ajouter une personne demande un résultat où quelqu'un a été rencontré."),
        "np_phone_needed": _("Un accord pour les SMS ou les appels demande un téléphone."),
        "np_email_needed": _("Un accord pour les e-mails demande une adresse e-mail."),
        "np_phone_invalid": _("Ce numéro de téléphone paraît incomplet ou trop long."),
        "np_note": _("Personne rencontrée, non enregistrée"),
        "resend_without_person": _("Renvoyer sans la nouvelle personne (gardée dans les notes)"),
        "remove": _("Retirer"),
        "yes": _("Oui"),
        "no": _("Non"),
        "choose_result": _("Choisissez un résultat."),
        "online_needed": _("Le phoning demande une connexion."),
        "route_help": _("Touchez la carte le long des rues couvertes, puis enregistrez."),
        "route_map": _("Carte du parcours"),
        "undo": _("Effacer le dernier point"),
        "route_points": _("points tracés"),
        "route_too_short": _("Tracez au moins deux points."),
        "area_too_small": _("Tracez au moins trois points pour une zone."),
        "shape": _("Tracer"),
        "shape_line": _("les rues parcourues (ligne)"),
        "shape_area": _("un pâté de maisons couvert (zone)"),
    }


def app_manifest(request):
    name = request.tenant.name
    return JsonResponse(
        {
            "name": f"{name} — {_('Terrain')}",
            "short_name": _("Terrain"),
            "start_url": reverse("field-app"),
            "scope": reverse("field-app"),
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#1d4ed8",
            "lang": get_language(),
            "icons": [{"src": static("img/terrain-icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
        },
        content_type="application/manifest+json",
    )


def service_worker(request):
    """Served under /terrain/ so that its scope is the app. The cache name changes with
    the app's files, so a new version replaces the old shell."""
    shell = [
        reverse("field-app"), static("js/canvass.js"), static("css/terrain.css"), static("img/terrain-icon.svg"),
        static("vendor/leaflet/leaflet.js"), static("vendor/leaflet/leaflet.css"),
    ]  # fmt: skip
    response = render(request, "field/sw.js", {"shell": json.dumps(shell), "version": _shell_version(shell)},
                      content_type="text/javascript")  # fmt: skip
    response["Cache-Control"] = "no-cache"
    return response


def _shell_version(shell):
    digest = hashlib.sha256()
    for name in ("js/canvass.js", "css/terrain.css"):
        path = finders.find(name)
        if path:
            digest.update(Path(path).read_bytes())
    digest.update("|".join(shell).encode())
    return digest.hexdigest()[:12]


@staff_required("field.track")
def action_list(request):
    """The campaign's field actions with their progress; organizers create them here."""
    can_plan = request.user.has_perm("field.plan")
    form = ActionForm(request.POST or None) if can_plan else None
    if request.method == "POST" and form is not None and form.is_valid():
        action = form.save(commit=False)
        action.created_by = request.user
        action.save()
        form.save_m2m()
        AuditEntry.objects.create(actor=request.user, action="action.created", target_type="action",
                                  target_id=str(action.pk))  # fmt: skip
        if action.kind == Action.Kind.PHONE:
            build_call_list(action)
        messages.success(request, _("Action « %(name)s » créée.") % {"name": action.name})
        return redirect("field:action", pk=action.pk)
    rows = [(a, progress_of(a, viewer=request.user)) for a in Action.objects.order_by("-starts_on", "name")]
    return render(request, "field/action_list.html", {"rows": rows, "form": form})


@staff_required("field.track")
def action_detail(request, pk):
    """One action: progress by volunteer and team, its turfs and who works them."""
    action = get_object_or_404(Action, pk=pk)
    can_plan = request.user.has_perm("field.plan")
    assign_form = cut_form = edit_form = None
    if can_plan:
        what = request.POST.get("form") if request.method == "POST" else None
        # Prefixes keep the three forms' field ids apart on one page.
        assign_form = AssignmentForm(request.POST if what == "assign" else None, action=action, prefix="assign")
        cut_form = CutForm(request.POST if what == "cut" else None, action=action, prefix="cut")
        edit_form = ActionForm(request.POST if what == "edit" else None, instance=action, prefix="edit")
        if what == "assign" and assign_form.is_valid():
            assignment = assign_form.save()
            AuditEntry.objects.create(actor=request.user, action="assignment.created", target_type="assignment",
                                      target_id=str(assignment.pk))  # fmt: skip
            messages.success(request, _("Affectation enregistrée."))
            return redirect("field:action", pk=pk)
        if what == "cut" and cut_form.is_valid():
            try:
                turfs = cut_zone(cut_form.cleaned_data["zone"], actor=request.user,
                                 doors_per_turf=cut_form.cleaned_data["doors_per_turf"])  # fmt: skip
            except CannotCut as exc:
                cut_form.add_error(None, str(exc))
            else:
                messages.success(request, _("%(n)d secteurs créés.") % {"n": len(turfs)})
                return redirect("field:action", pk=pk)
        if what == "edit" and edit_form.is_valid():
            edit_form.save()
            if action.kind == Action.Kind.PHONE:
                build_call_list(action)
            messages.success(request, _("Action modifiée."))
            return redirect("field:action", pk=pk)
        if what == "unassign":
            Assignment.objects.filter(action=action, pk=parse_id(request.POST.get("assignment"))).delete()
            return redirect("field:action", pk=pk)
    turfs = Turf.objects.filter(zone__in=action.zones.all()).select_related("zone").order_by("zone__name", "name")
    assignments = action.assignments.select_related("turf", "volunteer", "team").order_by("starts_at")
    calls = None
    if action.kind == Action.Kind.PHONE:
        calls = {"total": action.call_list.count(), "done": action.call_list.filter(done=True).count()}
    progress = progress_of(action, viewer=request.user)
    for volunteer in progress["volunteers"]:  # results in the action's words, most frequent first
        labelled = [(action.result_label(code), n) for code, n in volunteer["results"].items()]
        volunteer["result_labels"] = sorted(labelled, key=lambda result: (-result[1], result[0]))
    return render(request, "field/action_detail.html", {
        "action": action, "progress": progress, "turfs": turfs,
        "assignments": assignments, "assign_form": assign_form, "cut_form": cut_form, "edit_form": edit_form,
        "calls": calls, "can_plan": can_plan,
    })  # fmt: skip


@staff_required("field.track")
def turf_printable(request, pk):
    """A turf's map and walk list as a PDF, from the action page."""
    turf = get_object_or_404(Turf, pk=pk)
    action = Action.objects.filter(pk=parse_id(request.GET.get("action"))).first()
    response = HttpResponse(turf_pdf(turf, action), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="secteur-{turf.pk}.pdf"'
    return response


# -- Review queue ---------------------------------------------------------------------------


@staff_required("field.track")
def review_queue(request):
    from .models import ReviewBatch
    from .review import FLAG_LABELS, figures

    review_settings = ReviewSettings.current()
    batches = list(ReviewBatch.objects.filter(status=ReviewBatch.Status.PENDING).select_related("volunteer"))
    recent = ReviewBatch.objects.exclude(status=ReviewBatch.Status.PENDING).select_related("volunteer")[:30]
    rows = [(b, figures(b, review_settings)) for b in batches]
    return render(request, "field/review_queue.html", {"rows": rows, "recent": recent, "labels": FLAG_LABELS,
                                                        "review_settings": review_settings})  # fmt: skip


@staff_required("field.track")
def review_batch(request, pk):
    from . import review
    from .models import FieldReport, ReviewBatch

    batch = get_object_or_404(ReviewBatch.objects.select_related("volunteer"), pk=pk)
    # Support levels are opinions: a team leader reviews the rest of the answers.
    show_sensitive = request.user.has_perm("crm.see_sensitive")
    if request.method == "POST":
        what = request.POST.get("do")
        try:
            if what == "commit":
                review.commit(batch, actor=request.user)
                messages.success(request, _("Lot validé."))
            elif what == "rollback":
                review.rollback(batch, actor=request.user, reason=posted_text(request, "reason"))
                messages.success(request, _("Lot annulé : les changements sur les contacts sont défaits."))
            elif what == "reject":
                report = get_object_or_404(FieldReport, pk=parse_id(request.POST.get("report")), batch=batch)
                review.reject(report, reason=posted_text(request, "reason"), actor=request.user)
                messages.success(request, _("Compte rendu rejeté."))
            elif what == "correct":
                report = get_object_or_404(FieldReport, pk=parse_id(request.POST.get("report")), batch=batch)
                answers = {k.removeprefix("answer-"): v for k, v in request.POST.items() if k.startswith("answer-")}
                answers = _typed_answers(report.action, answers)
                if not show_sensitive:  # answers this reviewer was not shown stay as they were
                    hidden = sensitive_questions(report.action)
                    answers = {k: v for k, v in answers.items() if k not in hidden} | {
                        k: v for k, v in report.answers.items() if k in hidden
                    }
                review.correct(report, answers=answers, actor=request.user)
                messages.success(request, _("Réponses corrigées."))
            else:
                messages.error(request, _("Action inconnue."))
        except (review.ReviewError, BadSurvey) as exc:
            messages.error(request, " ".join(exc.args[0]) if isinstance(exc.args[0], list) else str(exc))
        return redirect("field:review-batch", pk=batch.pk)
    figures = review.figures(batch)
    # Flagged reports first, then by time; a page at a time (a day's batch can hold thousands).
    ordered = sorted(figures["reports"], key=lambda r: (not figures["flags"].get(r.pk), r.done_at, r.pk))
    page = Paginator(ordered, 100).get_page(request.GET.get("page"))
    # The opinion questions of each action on the page: hidden from this reviewer, or
    # shown and their reading audited.
    sensitive = {r.action_id: sensitive_questions(r.action) for r in page}
    hidden = {action: set() if show_sensitive else questions for action, questions in sensitive.items()}
    rows = [
        {"report": r, "flags": [review.FLAG_LABELS.get(f, f) for f in figures["flags"].get(r.pk, [])],
         "answers": [(q, r.answers.get(q.get("id"), "")) for q in (r.action.survey or [])
                     if q.get("id") not in hidden[r.action_id]],
         "answers_text": _answers_in_words(r, hidden=hidden[r.action_id]), "person": people.describe(r)}
        for r in page
    ]  # fmt: skip
    seen = [r.pk for r in page if show_sensitive and sensitive[r.action_id] & set(r.answers)]
    if seen:
        AuditEntry.objects.create(actor=request.user, action="field_reports.sensitive_viewed",
                                  target_type="review_batch", target_id=str(batch.pk),
                                  data={"reports": seen, "path": request.path})  # fmt: skip
    return render(request, "field/review_batch.html", {
        "batch": batch, "figures": figures, "labels": review.FLAG_LABELS, "rows": rows, "page": page,
        "rejected": batch.reports.exclude(rejected_reason="").select_related("action")[:500],
    })  # fmt: skip


def _answers_in_words(report, hidden=()):
    """The answers in words, "Soutien : 4 · Souhaite recevoir nos SMS : oui": the survey's
    questions, not their ids (those `hidden` left out)."""
    labels = {q.get("id"): q.get("label", q.get("id")) for q in (report.action.survey or [])}
    answers = {k: v for k, v in (report.answers or {}).items() if k not in hidden}
    parts = []
    # In the survey's order (the database keeps a JSON object's keys in its own order).
    for qid in [*(q for q in labels if q in answers), *(q for q in answers if q not in labels)]:
        value = answers[qid]
        if isinstance(value, bool):
            value = _("oui") if value else _("non")
        elif isinstance(value, list):
            value = ", ".join(map(str, value))
        parts.append(_("%(question)s : %(answer)s") % {"question": labels.get(qid, qid), "answer": value})
    return " · ".join(parts)


def _typed_answers(action, raw):
    """Form strings to the survey's types (numbers for scales, booleans for yes/no)."""
    kinds = {q["id"]: q["type"] for q in action.survey}
    typed = {}
    for key, value in raw.items():
        if value == "":
            continue
        if kinds.get(key) == "scale":
            typed[key] = int(value) if value.removeprefix("-").isdecimal() else value
        elif kinds.get(key) == "yes_no":
            typed[key] = value in ("true", "yes", "oui", "1")
        else:
            typed[key] = value
    return typed
