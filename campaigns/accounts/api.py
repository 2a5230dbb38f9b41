from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import User


class MeSerializer(serializers.ModelSerializer):
    campaign = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "display_name", "role", "language", "campaign"]
        read_only_fields = fields

    def get_campaign(self, obj) -> str:
        return self.context["request"].tenant.schema_name


class MeView(APIView):
    """The signed-in user of this campaign."""

    serializer_class = MeSerializer

    def get(self, request):
        return Response(MeSerializer(request.user, context={"request": request}).data)
