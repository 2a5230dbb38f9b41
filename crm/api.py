"""The CRM's REST API: contacts (with timeline, GDPR export, erasure, merge),
duplicates, imports, saved mappings, tags and segments."""

import json
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.accounts.models import AuditEntry
from campaigns.http import FileResponse, NulRefusingJSONParser, parse_id

from . import consent, dedup, gdpr
from .editing import home_for, save_by_hand
from .exports import export_segment
from .importing.mapping import validate_mapping
from .importing.pipeline import UploadTooBig, create_job, discard_upload, job_progress, preview, store_upload
from .importing.sniff import NotATable
from .models import CONSENT_FIELDS, Contact, ImportJob, Interaction, SavedMapping, Segment, Tag
from .segments import BadFilters, SegmentInUse, contacts_matching, delete_segment
from .services import normalise_phone


class HasPerm(permissions.BasePermission):
    """Reads need `read_perm`, writes `write_perm` (named rules, campaigns/accounts/rules.py)."""

    read_perm = "crm.read_contacts"
    write_perm = "crm.write_contacts"

    def has_permission(self, request, view):
        perm = self.read_perm if request.method in permissions.SAFE_METHODS else self.write_perm
        return request.user.has_perm(perm)


class AddressSerializer(serializers.Serializer):
    """Where a contact lives. Written with line1 (number and street), and optionally
    dwelling, postal_code and city: the building is found or created, and located from
    the national address reference when it is loaded; null takes the address away."""

    line1 = serializers.CharField(source="address.line1", max_length=200)
    dwelling = serializers.CharField(source="label", max_length=120, allow_blank=True, default="")
    postal_code = serializers.CharField(source="address.postal_code", max_length=10, allow_blank=True, default="")
    city = serializers.CharField(source="address.city", max_length=120, allow_blank=True, default="")
    polling_station = serializers.CharField(source="address.polling_station_code", read_only=True)
    longitude = serializers.SerializerMethodField()
    latitude = serializers.SerializerMethodField()

    def validate(self, attrs):
        # A PATCH makes nested fields optional too: an address is still given whole.
        if not attrs.get("address", {}).get("line1", "").strip():
            raise ValidationError({"line1": [_("Indiquez le numéro et la rue.")]})
        return attrs

    def get_longitude(self, household) -> float | None:
        point = household.address.point
        return point.x if point else None

    def get_latitude(self, household) -> float | None:
        point = household.address.point
        return point.y if point else None


class ContactSerializer(serializers.ModelSerializer):
    tags = serializers.SlugRelatedField(many=True, slug_field="name", queryset=Tag.objects.all(), required=False)
    address = AddressSerializer(source="household", required=False, allow_null=True)
    consent_reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=300,
        help_text="Why an opt-out is lifted (required then), or why it is set.",
    )  # fmt: skip
    new_consent = serializers.BooleanField(
        write_only=True, required=False, default=False,
        help_text="The person gave their consent again (required to lift an opt-out).",
    )  # fmt: skip

    class Meta:
        model = Contact
        fields = [
            "id",
            "first_names",
            "birth_name",
            "usage_name",
            "sex",
            "birth_date",
            "email",
            "other_emails",
            "phone",
            "other_phones",
            "address",
            "tags",
            "custom_fields",
            "source",
            "consent_email",
            "consent_sms",
            "consent_phone",
            "consent_door",
            "consent_reason",
            "new_consent",
            "support_level",
            "opinion_notes",
            "last_contacted_at",
            "created",
            "updated",
        ]
        read_only_fields = ["id", "other_emails", "other_phones", "source", "last_contacted_at", "created", "updated"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        # Political opinions: only for roles allowed to see them, and every read is logged.
        if request is None or not request.user.has_perm("crm.see_sensitive"):
            for name in Contact.SENSITIVE_FIELDS:
                fields.pop(name, None)
        return fields

    def validate_phone(self, value):
        if not value:
            return ""
        request = self.context.get("request")
        region = getattr(getattr(request, "tenant", None), "phone_region", "FR")
        return normalise_phone(value, region)

    def validate_support_level(self, value):
        if value is not None and not 1 <= value <= 5:
            raise ValidationError(_("Un nombre de 1 à 5 est attendu."))
        return value

    def validate_email(self, value):
        value = (value or "").strip().lower()
        if value and gdpr.is_suppressed(email=value):
            raise ValidationError(_("Cette personne a demandé l'effacement de ses données."))
        return value

    def validate(self, attrs):
        # Lifting an opt-out needs a reason and the person's new consent (crm/consent.py).
        reason, new_consent = attrs.get("consent_reason", ""), attrs.get("new_consent", False)
        for field in CONSENT_FIELDS:
            lifting = self.instance is not None and getattr(self.instance, field) is False and attrs.get(field) is True
            if lifting and (not reason.strip() or not new_consent):
                raise ValidationError({field: [_("Cette personne s'est opposée : indiquez la raison (consent_reason) "
                                                 "et confirmez son nouvel accord (new_consent).")]})  # fmt: skip
        return attrs


class InteractionSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField()

    class Meta:
        model = Interaction
        fields = ["id", "kind", "at", "actor", "summary", "data"]


def log_sensitive_read(request, contacts):
    if request.user.has_perm("crm.see_sensitive") and contacts:
        AuditEntry.objects.create(
            actor=request.user,
            action="contacts.sensitive_viewed",
            target_type="contact",
            # Which contacts were shown goes in data: a page of ids does not fit target_id.
            target_id=str(contacts[0].pk) if len(contacts) == 1 else "",
            data={"count": len(contacts), "ids": [c.pk for c in contacts], "path": request.path},
        )


@extend_schema(
    parameters=[
        OpenApiParameter("search", str, description="Name or e-mail, ignoring accents and case."),
        OpenApiParameter("segment", int, description="Only the contacts of this segment."),
        OpenApiParameter("filters", str, description="Segment filters as JSON (see crm/segments.py)."),
    ]
)
class ContactViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ContactSerializer
    permission_classes = [permissions.IsAuthenticated, HasPerm]
    filterset_fields = ["email", "source", "sex"]

    def get_queryset(self):
        params = self.request.query_params
        filters = {}
        if params.get("segment"):
            segment = Segment.objects.filter(pk=parse_id(params["segment"])).first()
            if segment is None:
                raise ValidationError({"segment": [_("Segment inconnu.")]})
            filters.update(segment.filters)
        if params.get("filters"):
            try:
                filters.update(json.loads(params["filters"]))
            except (json.JSONDecodeError, TypeError, ValueError):
                raise ValidationError({"filters": [_("JSON illisible.")]}) from None
        if params.get("search"):
            filters["search"] = params["search"]
        try:
            qs = contacts_matching(filters)
        except BadFilters as exc:
            raise ValidationError(exc.errors) from None
        return qs.select_related("household__address").prefetch_related("tags").order_by("id")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        log_sensitive_read(request, [Contact(pk=c["id"]) for c in response.data["results"]])
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        log_sensitive_read(request, [self.get_object()])
        return response

    def perform_create(self, serializer):
        self._save_by_hand(serializer, Contact())

    def perform_update(self, serializer):
        self._save_by_hand(serializer, serializer.instance)

    def _save_by_hand(self, serializer, contact):
        data = dict(serializer.validated_data)
        reason, new_consent = data.pop("consent_reason", ""), data.pop("new_consent", False)
        consents = {f: data.pop(f) for f in CONSENT_FIELDS if f in data}
        tags = [t.name for t in data.pop("tags")] if "tags" in data else None
        home = ...  # left as it is unless the request gives an address (or null)
        if "household" in data:
            given = data.pop("household")
            home = given and home_for(given["address"]["line1"], given["address"].get("postal_code", ""),
                                      given["address"].get("city", ""), given.get("label", ""))  # fmt: skip
        try:
            save_by_hand(contact, data, actor=self.request.user, consents=consents, tags=tags, home=home,
                         reason=reason, new_consent=new_consent, source="api")  # fmt: skip
        except consent.ConsentRefused as exc:
            raise ValidationError(str(exc)) from None
        serializer.instance = contact

    @extend_schema(responses=InteractionSerializer(many=True))
    @action(detail=True)
    def timeline(self, request, pk=None):
        """Everything that happened to this person, newest first."""
        contact = self.get_object()
        items = InteractionSerializer(contact.interactions.select_related("actor"), many=True).data
        if contact.import_job_id:
            job = contact.import_job
            items.append(
                {"id": None, "kind": "imported", "at": contact.created, "actor": str(job.created_by or ""),
                 "summary": _("Importé depuis « %(f)s »") % {"f": job.file_name}, "data": {"import": job.pk}}
            )  # fmt: skip
        return Response(items)

    @extend_schema(responses=inline_serializer("GdprExport", {"contact": serializers.DictField()}))
    @action(detail=True, url_path="gdpr-export")
    def gdpr_export(self, request, pk=None):
        """Everything the campaign holds about this person (right of access)."""
        if not request.user.has_perm("crm.export_contacts"):
            self.permission_denied(request)
        return Response(gdpr.export_contact(self.get_object(), actor=request.user))

    @extend_schema(request=None, responses={200: ContactSerializer})
    @action(detail=True, methods=["post"])
    def erase(self, request, pk=None):
        """Erase this person's data for good (right to erasure); they stay out of later imports."""
        if not request.user.has_perm("crm.erase_contacts"):
            self.permission_denied(request)
        contact = gdpr.erase_contact(self.get_object(), actor=request.user, reason=request.data.get("reason", ""))
        return Response(self.get_serializer(contact).data)

    @extend_schema(
        request=inline_serializer("MergeRequest", {"other": serializers.IntegerField()}),
        responses={200: ContactSerializer},
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Fold contact `other` into this one, keeping every record of both."""
        keep, other = self._pair(request)
        return Response(self.get_serializer(dedup.merge_contacts(keep, other, actor=request.user)).data)

    @extend_schema(
        request=inline_serializer("DistinctRequest", {"other": serializers.IntegerField()}),
        responses={204: None},
    )
    @action(detail=True, methods=["post"])
    def distinct(self, request, pk=None):
        """Contact `other` is someone else: the pair is no longer offered as duplicates."""
        dedup.mark_distinct(*self._pair(request), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _pair(self, request):
        """This contact and the one the body names as `other`, which must be another."""
        contact = self.get_object()
        other = Contact.objects.filter(pk=parse_id(request.data.get("other")), erased_at__isnull=True).first()
        if other is None or other.pk == contact.pk:
            raise ValidationError({"other": [_("Indiquez l'identifiant d'un autre contact.")]})
        return contact, other


class DuplicatePairSerializer(serializers.Serializer):
    keep_id = serializers.IntegerField()
    other_id = serializers.IntegerField()
    reason = serializers.CharField()
    similarity = serializers.FloatField()


class DuplicatesView(APIView):
    """Contacts that are probably the same person, for a human to merge. On a base of
    more than 50,000 contacts, the pairs the last background scan found (after each
    import, every night, or when asked from the duplicates page)."""

    permission_classes = [permissions.IsAuthenticated, HasPerm]
    serializer_class = DuplicatePairSerializer

    @extend_schema(responses=DuplicatePairSerializer(many=True))
    def get(self, request):
        return Response(DuplicatePairSerializer(dedup.duplicates_queue(limit=500)[0], many=True).data)


class ImportPermission(HasPerm):
    read_perm = write_perm = "crm.write_contacts"


class ImportJobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    step = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = [
            "id", "file_name", "source", "status", "mapping", "encoding", "delimiter", "total_rows",
            "processed_rows", "progress", "step", "created_count", "merged_count", "rejected_count", "located_count",
            "error", "created", "started", "finished",
        ]  # fmt: skip
        read_only_fields = fields

    def get_progress(self, job) -> int:
        return job_progress(job).percent

    def get_step(self, job) -> str:
        """What a running import is doing, in words (the file being read, then each
        step of writing to the base); blank otherwise."""
        return job_progress(job).step


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    mapping = serializers.JSONField(required=False, help_text='{"column header": "field", ...}')
    saved_mapping = serializers.CharField(required=False, help_text="Name of a saved mapping to use.")
    source = serializers.CharField(required=False, allow_blank=True)
    electoral_list = serializers.BooleanField(required=False, default=False)


class ImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Upload a CSV or XLSX file; it is imported in the background. Poll the job for progress."""

    serializer_class = ImportJobSerializer
    permission_classes = [permissions.IsAuthenticated, ImportPermission]
    parser_classes = [MultiPartParser, FormParser, NulRefusingJSONParser]
    queryset = ImportJob.objects.all()

    @extend_schema(request=UploadSerializer, responses={202: ImportJobSerializer})
    def create(self, request):
        upload = UploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        mapping = data.get("mapping")
        if data.get("saved_mapping"):
            saved = SavedMapping.objects.filter(name=data["saved_mapping"]).first()
            if saved is None:
                raise ValidationError({"saved_mapping": [_("Aucune correspondance de ce nom.")]})
            mapping = saved.mapping
        try:
            path = store_upload(data["file"])
        except UploadTooBig as exc:
            raise ValidationError({"file": [str(exc)]}) from None
        try:
            shown = preview(path, rows=1)
        except NotATable as exc:
            discard_upload(path)
            raise ValidationError({"file": [str(exc)]}) from None
        if mapping is not None:
            if not isinstance(mapping, dict):
                raise ValidationError({"mapping": [_("Un objet JSON est attendu.")]})
            problems = validate_mapping(mapping, shown["headers"])
            if problems:
                raise ValidationError({"mapping": [str(p) for p in problems]})
        job = create_job(
            file_path=path, file_name=data["file"].name, mapping=mapping, source=data.get("source", ""),
            actor=request.user, electoral_list=bool(data.get("electoral_list", False)),
        )  # fmt: skip
        job.status = ImportJob.Status.QUEUED
        job.save(update_fields=["status"])
        from .tasks import run_import

        transaction.on_commit(lambda: run_import.delay(job.pk))
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=UploadSerializer,
        responses=inline_serializer(
            "ImportPreview",
            {
                "kind": serializers.CharField(),
                "encoding": serializers.CharField(),
                "delimiter": serializers.CharField(),
                "headers": serializers.ListField(child=serializers.CharField()),
                "mapping": serializers.DictField(child=serializers.CharField()),
                "rows": serializers.ListField(child=serializers.ListField(child=serializers.CharField())),
            },
        ),
    )
    @action(detail=False, methods=["post"])
    def preview(self, request):
        """Detected encoding and delimiter, guessed mapping and the first rows, before importing."""
        upload = UploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            path = store_upload(upload.validated_data["file"])
        except UploadTooBig as exc:
            raise ValidationError({"file": [str(exc)]}) from None
        try:
            return Response(preview(path))
        except NotATable as exc:
            raise ValidationError({"file": [str(exc)]}) from None
        finally:
            discard_upload(path)

    @extend_schema(responses={(200, "text/csv"): bytes})
    @action(detail=True)
    def report(self, request, pk=None):
        """The rejected rows, with row number, column and reason (CSV)."""
        job = self.get_object()
        if not job.report_path or not Path(job.report_path).exists():
            raise ValidationError({"report": [_("Pas de rapport pour cet import.")]})
        return FileResponse(open(job.report_path, "rb"), filename=f"import-{job.pk}-rejets.csv",  # noqa: SIM115
                            content_type="text/csv")  # fmt: skip


class SavedMappingSerializer(serializers.ModelSerializer):
    class Meta:
        model = SavedMapping
        fields = ["id", "name", "mapping", "created"]
        read_only_fields = ["id", "created"]


class SavedMappingViewSet(viewsets.ModelViewSet):
    serializer_class = SavedMappingSerializer
    permission_classes = [permissions.IsAuthenticated, ImportPermission]
    queryset = SavedMapping.objects.order_by("name")


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


class TagViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = TagSerializer
    permission_classes = [permissions.IsAuthenticated, HasPerm]
    queryset = Tag.objects.all()


class SegmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Segment
        fields = ["id", "name", "filters", "created", "updated"]
        read_only_fields = ["id", "created", "updated"]

    def validate_filters(self, value):
        try:
            contacts_matching(value)
        except BadFilters as exc:
            raise ValidationError(exc.errors) from None
        return value


class SegmentViewSet(viewsets.ModelViewSet):
    serializer_class = SegmentSerializer
    permission_classes = [permissions.IsAuthenticated, HasPerm]
    queryset = Segment.objects.all()

    def perform_create(self, serializer):
        serializer.save(created_by=self.request.user)

    @extend_schema(responses={204: None, 409: inline_serializer("SegmentInUse", {"detail": serializers.CharField()})})
    def destroy(self, request, *args, **kwargs):
        """Delete a segment, unless something still uses it (409 names what: a message...)."""
        try:
            delete_segment(self.get_object())
        except SegmentInUse as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=inline_serializer("SegmentCount", {"count": serializers.IntegerField()}))
    @action(detail=True)
    def count(self, request, pk=None):
        """How many people the segment selects, now."""
        return Response({"count": contacts_matching(self.get_object().filters).count()})

    @extend_schema(
        parameters=[OpenApiParameter("file_format", str, enum=["csv", "xlsx"])],
        responses={(200, "text/csv"): bytes},
    )
    @action(detail=True)
    def export(self, request, pk=None):
        """Download the segment's contacts (CSV or XLSX). Logged."""
        if not request.user.has_perm("crm.export_contacts"):
            self.permission_denied(request)
        segment = self.get_object()
        fmt = request.query_params.get("file_format", "csv")
        if fmt not in ("csv", "xlsx"):
            raise ValidationError({"file_format": [_("csv ou xlsx.")]})
        out = export_segment(segment, actor=request.user, fmt=fmt)
        content_type = "text/csv" if fmt == "csv" else (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
        return FileResponse(out, filename=f"segment-{segment.pk}.{fmt}", content_type=content_type)
