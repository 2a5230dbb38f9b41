from rest_framework import permissions, serializers, viewsets

from .models import Contact
from .services import normalise_phone


class ContactSerializer(serializers.ModelSerializer):
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
            "phone",
            "source",
            "created",
            "updated",
        ]
        read_only_fields = ["id", "created", "updated"]

    def validate_phone(self, value):
        if not value:
            return ""
        request = self.context.get("request")
        region = getattr(getattr(request, "tenant", None), "phone_region", "FR")
        return normalise_phone(value, region)


class ContactPermission(permissions.BasePermission):
    def has_permission(self, request, view):
        perm = "crm.read_contacts" if request.method in permissions.SAFE_METHODS else "crm.write_contacts"
        return request.user.has_perm(perm)


class ContactViewSet(viewsets.ModelViewSet):
    serializer_class = ContactSerializer
    permission_classes = [permissions.IsAuthenticated, ContactPermission]
    queryset = Contact.objects.all()
    filterset_fields = ["email", "source"]
