"""The campaign team's pages for the contact base (under /equipe/)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from campaigns.http import FileResponse, parse_id, posted_text, redirect_back

from . import consent, dedup, editing, gdpr
from .exports import export_segment
from .forms import ContactForm, ContactSearchForm, MappingForm, SegmentForm, UploadForm
from .importing.mapping import validate_mapping
from .importing.pipeline import UploadTooBig, create_job, discard_upload, job_progress, preview, store_upload
from .importing.sniff import NotATable, delimiter_name, encoding_name
from .models import NAME_ORDER, Contact, ImportJob, SavedMapping, Segment
from .segments import BadFilters, SegmentInUse, contacts_matching, delete_segment, describe


def staff_required(perm):
    def decorate(view):
        return login_required(permission_required(perm, raise_exception=True)(view))

    return decorate


@staff_required("crm.read_contacts")
def contact_list(request):
    form = ContactSearchForm(request.GET or None)
    filters = form.filters() if form.is_valid() else {}
    try:
        contacts = contacts_matching(filters)
    except BadFilters as exc:
        messages.error(request, str(exc))
        contacts = Contact.objects.none()
    contacts = contacts.select_related("household__address").order_by(*NAME_ORDER)
    page = Paginator(contacts, 50).get_page(request.GET.get("page"))
    return render(request, "crm/contact_list.html", {"form": form, "page": page, "total": page.paginator.count})


@staff_required("crm.read_contacts")
def contact_detail(request, pk):
    contact = get_object_or_404(Contact.objects.select_related("household__address"), pk=pk)
    timeline = list(contact.interactions.select_related("actor")[:200])
    show_sensitive = request.user.has_perm("crm.see_sensitive")
    if show_sensitive:
        from .api import log_sensitive_read

        log_sensitive_read(request, [contact])
    return render(
        request,
        "crm/contact_detail.html",
        {"contact": contact, "timeline": timeline, "show_sensitive": show_sensitive,
         "consents": contact.consent_events.all()[:50]},
    )  # fmt: skip


@staff_required("crm.export_contacts")
def contact_gdpr_export(request, pk):
    contact = get_object_or_404(Contact, pk=pk)
    data = gdpr.export_contact(contact, actor=request.user)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="contact-{contact.pk}.json"'
    return response


@require_POST
@staff_required("crm.erase_contacts")
def contact_erase(request, pk):
    contact = get_object_or_404(Contact, pk=pk, erased_at__isnull=True)
    gdpr.erase_contact(contact, actor=request.user, reason=posted_text(request, "reason"))
    messages.success(request, _("Les données de ce contact ont été effacées."))
    return redirect("crm:contact", pk=pk)


@staff_required("crm.write_contacts")
def contact_edit(request, pk=None):
    """Type in someone met at the market, or correct a phone, an address, a consent."""
    contact = get_object_or_404(Contact, pk=pk, erased_at__isnull=True) if pk else Contact()
    region = getattr(request.tenant, "phone_region", "FR") or "FR"
    form = ContactForm(request.POST or None, instance=contact, user=request.user, region=region)
    if request.method == "POST" and form.is_valid():
        try:
            contact = form.save_by_hand(request.user)
        except consent.ConsentRefused as exc:
            form.add_error(None, str(exc))
        else:
            if pk is None:
                messages.success(request, _("Contact créé."))
            elif form.changed:
                messages.success(request, _("Modifications enregistrées."))
            else:
                messages.info(request, _("Rien n'a changé."))
            return redirect("crm:contact", pk=contact.pk)
    if pk and "support_level" in form.fields:
        from .api import log_sensitive_read

        log_sensitive_read(request, [contact])
    return render(request, "crm/contact_form.html", {"form": form, "contact": contact})


@require_POST
@staff_required("crm.write_contacts")
def contact_note(request, pk):
    contact = get_object_or_404(Contact, pk=pk, erased_at__isnull=True)
    text = " ".join(posted_text(request, "text").split())
    if not text:
        messages.error(request, _("La note est vide."))
    elif len(text) > 300:
        messages.error(request, _("Une note tient en 300 caractères (celle-ci en fait %(n)d).") % {"n": len(text)})
    else:
        editing.add_note(contact, text, actor=request.user)
        messages.success(request, _("Note ajoutée."))
    return redirect("crm:contact", pk=pk)


@require_POST
@staff_required("crm.write_contacts")
def contact_opt_out(request, pk):
    """Opt someone out of everything without sending them anything (they asked by
    phone, at the door, by letter...)."""
    contact = get_object_or_404(Contact, pk=pk, erased_at__isnull=True)
    reason = posted_text(request, "reason")
    if not reason:
        messages.error(request, _("Indiquez le motif de l'opposition."))
        return redirect("crm:contact", pk=pk)
    consent.opt_out(contact, source="staff", actor=request.user, reason=reason[:300])
    messages.success(request, _("Cette personne ne sera plus contactée, par aucun canal."))
    return redirect("crm:contact", pk=pk)


@staff_required("crm.write_contacts")
def import_start(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        path = None
        try:
            path = store_upload(form.cleaned_data["file"])
            preview(path, rows=1)
        except (UploadTooBig, NotATable) as exc:
            form.add_error("file", str(exc))
            if path:
                discard_upload(path)
        else:
            job = create_job(
                file_path=path, file_name=form.cleaned_data["file"].name, source=form.cleaned_data["source"],
                actor=request.user, electoral_list=form.cleaned_data["electoral_list"],
            )  # fmt: skip
            return redirect("crm:import", pk=job.pk)
    jobs = ImportJob.objects.select_related("created_by")[:20]
    return render(request, "crm/import_start.html", {"form": form, "jobs": jobs,
                                                     "mappings": SavedMapping.objects.all()})  # fmt: skip


@staff_required("crm.write_contacts")
def import_job(request, pk):
    job = get_object_or_404(ImportJob, pk=pk)
    if job.status != ImportJob.Status.PENDING:
        return render(request, "crm/import_job.html", {"job": job, **_progress(job)})
    try:
        shown = preview(job.file_path)
    except (NotATable, OSError) as exc:
        job.status, job.error = ImportJob.Status.FAILED, str(exc)
        job.save()
        return render(request, "crm/import_job.html", {"job": job, **_progress(job)})
    mapping = shown["mapping"]
    if request.GET.get("saved"):
        saved = SavedMapping.objects.filter(pk=parse_id(request.GET["saved"])).first()
        if saved:
            mapping = {h: saved.mapping.get(h, "") for h in shown["headers"]}
    form = MappingForm(request.POST or None, headers=shown["headers"], mapping=mapping)
    if request.method == "POST" and form.is_valid():
        chosen = form.mapping()
        problems = validate_mapping(chosen, shown["headers"])
        if problems:
            for problem in problems:
                form.add_error(None, problem)
        else:
            job.mapping = chosen
            job.status = ImportJob.Status.QUEUED
            job.save(update_fields=["mapping", "status"])
            if form.cleaned_data["save_as"]:
                SavedMapping.objects.update_or_create(name=form.cleaned_data["save_as"], defaults={"mapping": chosen})
            from .tasks import run_import

            transaction.on_commit(lambda: run_import.delay(job.pk))
            return redirect("crm:import", pk=job.pk)
    shown |= {"encoding_name": encoding_name(shown["encoding"]), "delimiter_name": delimiter_name(shown["delimiter"])}
    columns = [(header, form[f"col_{i}"], [row[i] if i < len(row) else "" for row in shown["rows"]])
               for i, header in enumerate(shown["headers"])]  # fmt: skip
    return render(
        request,
        "crm/import_mapping.html",
        {"job": job, "shown": shown, "form": form, "columns": columns, "mappings": SavedMapping.objects.all()},
    )


def _progress(job):
    return job_progress(job)._asdict()


@staff_required("crm.write_contacts")
def import_progress(request, pk):
    """The progress fragment, polled by the job page (htmx) while the import runs."""
    job = get_object_or_404(ImportJob, pk=pk)
    response = render(request, "crm/_import_progress.html", {"job": job, **_progress(job)})
    if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        response["HX-Refresh"] = "true"  # show the full result page
    return response


@staff_required("crm.write_contacts")
def import_report(request, pk):
    job = get_object_or_404(ImportJob, pk=pk)
    try:
        report = open(job.report_path, "rb") if job.report_path else None  # noqa: SIM115
    except FileNotFoundError:  # cleaned away with the import's files
        report = None
    if report is None:
        raise Http404(_("Le rapport de cet import n'est plus disponible."))
    return FileResponse(report, as_attachment=True, filename=f"import-{job.pk}-rejets.csv")


@staff_required("crm.write_contacts")
def duplicates(request):
    pairs, scan = dedup.duplicates_queue(limit=100)
    contacts = Contact.objects.in_bulk({p.keep_id for p in pairs} | {p.other_id for p in pairs})
    rows = [(p, contacts[p.keep_id], contacts[p.other_id]) for p in pairs
            if p.keep_id in contacts and p.other_id in contacts]  # fmt: skip
    return render(request, "crm/duplicates.html", {"rows": rows, "scan": scan})


@require_POST
@staff_required("crm.write_contacts")
def scan_duplicates(request):
    """Work the queue of a big base out again, in the background."""
    from .tasks import scan_duplicates as task

    task.delay()
    messages.success(request, _("La recherche des doublons est lancée : la liste sera à jour dans quelques minutes."))
    return redirect("crm:duplicates")


@require_POST
@staff_required("crm.write_contacts")
def merge(request):
    keep, other = _posted_pair(request)
    dedup.merge_contacts(keep, other, actor=request.user)
    messages.success(request, _("%(a)s et %(b)s ne font plus qu'un.") % {"a": keep, "b": other})
    return redirect_back(request, reverse("crm:duplicates"))


@require_POST
@staff_required("crm.write_contacts")
def distinct(request):
    """Two people, not one: the pair leaves the duplicates queue for good."""
    a, b = _posted_pair(request)
    dedup.mark_distinct(a, b, actor=request.user)
    messages.success(request, _("%(a)s et %(b)s restent deux fiches distinctes.") % {"a": a, "b": b})
    return redirect_back(request, reverse("crm:duplicates"))


def _posted_pair(request):
    """The two contacts of a duplicates-queue form (`keep`, `other`): two, or a 404."""
    keep = get_object_or_404(Contact, pk=parse_id(request.POST.get("keep")))
    other = get_object_or_404(Contact, pk=parse_id(request.POST.get("other")))
    if keep.pk == other.pk:
        raise Http404
    return keep, other


@staff_required("crm.read_contacts")
def segments(request):
    form = SegmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        filters = form.filters()
        try:
            contacts_matching(filters)
        except BadFilters as exc:
            form.add_error(None, str(exc))
        else:
            if Segment.objects.filter(name=form.cleaned_data["name"]).exists():
                form.add_error("name", _("Un segment porte déjà ce nom."))
            else:
                Segment.objects.create(name=form.cleaned_data["name"], filters=filters, created_by=request.user)
                return redirect("crm:segments")
    rows = []
    for segment in Segment.objects.all():
        try:
            count = contacts_matching(segment.filters).count()
        except BadFilters:
            count = None
        rows.append((segment, count, describe(segment.filters)))
    return render(request, "crm/segments.html", {"form": form, "rows": rows})


@require_POST
@staff_required("crm.read_contacts")
def segment_delete(request, pk):
    segment = get_object_or_404(Segment, pk=pk)
    try:
        delete_segment(segment)
    except SegmentInUse as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Segment « %(name)s » supprimé.") % {"name": segment.name})
    return redirect("crm:segments")


@require_GET
@staff_required("crm.read_contacts")
def segment_count(request):
    """How many contacts the segment being drawn up selects (the form asks as it changes)."""
    form = SegmentForm(request.GET)
    form.is_valid()
    problems = [f"{form.fields[name].label} : {' '.join(errors)}" for name, errors in form.errors.items()
                if name != "name" and name in form.fields]  # fmt: skip
    count = None
    if not problems:
        try:
            count = contacts_matching(form.filters()).count()
        except BadFilters as exc:
            problems.append(str(exc))
    return render(request, "crm/_segment_count.html", {"count": count, "problems": problems})


@staff_required("crm.export_contacts")
def segment_export(request, pk):
    segment = get_object_or_404(Segment, pk=pk)
    fmt = request.GET.get("file_format", "csv")
    if fmt not in ("csv", "xlsx"):
        return HttpResponse(_("Format inconnu : csv ou xlsx."), status=400)
    out = export_segment(segment, actor=request.user, fmt=fmt)
    return FileResponse(out, as_attachment=True, filename=f"segment-{segment.pk}.{fmt}")
