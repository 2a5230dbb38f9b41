"""Platform-staff API: the campaign registry. Served on the platform host only."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response

from .models import Campaign
from .presets import preset_names
from .provisioning import ProvisioningError, campaign_url, create_campaign


class CampaignSerializer(serializers.ModelSerializer):
    slug = serializers.CharField(source="schema_name", read_only=True)
    domains = serializers.SlugRelatedField(many=True, read_only=True, slug_field="domain")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = ["slug", "name", "kind", "preset", "language", "time_zone", "created", "domains", "url"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return campaign_url(obj)


class CampaignCreateSerializer(serializers.Serializer):
    slug = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=200)
    preset = serializers.ChoiceField(choices=preset_names(), required=False, allow_blank=True)
    domains = serializers.ListField(child=serializers.CharField(max_length=253), required=False, default=list)
    admin_email = serializers.EmailField(required=False)
    language = serializers.ChoiceField(choices=[code for code, _ in settings.LANGUAGES], default="fr")
    time_zone = serializers.CharField(max_length=64, default="Europe/Paris")
    email_password = serializers.BooleanField(
        default=False, help_text="Send the admin's first password by e-mail instead of returning it."
    )


class NewCampaignSerializer(CampaignSerializer):
    admin_email = serializers.EmailField()
    admin_password = serializers.CharField(allow_null=True, help_text="Shown once; null when e-mailed.")

    class Meta(CampaignSerializer.Meta):
        fields = CampaignSerializer.Meta.fields + ["admin_email", "admin_password"]
        read_only_fields = fields


class IsPlatformStaff(permissions.BasePermission):
    def has_permission(self, request, view):
        tenant = getattr(request, "tenant", None)
        return bool(tenant and tenant.is_platform and request.user.is_authenticated and request.user.is_staff)


class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CampaignSerializer
    permission_classes = [IsPlatformStaff]
    lookup_field = "schema_name"
    lookup_url_kwarg = "slug"

    def get_queryset(self):
        return Campaign.objects.exclude(schema_name="public").prefetch_related("domains")

    @extend_schema(request=CampaignCreateSerializer, responses={201: NewCampaignSerializer})
    def create(self, request):
        data = CampaignCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            result = create_campaign(actor=request.user.email, **values)
        except ProvisioningError as exc:
            return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
        body = CampaignSerializer(result.campaign).data | {
            "admin_email": result.admin_email,
            "admin_password": None if values["email_password"] else result.admin_password,
        }
        return Response(body, status=status.HTTP_201_CREATED)
