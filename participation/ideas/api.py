"""API of the idea box and Q&A: read what the public site shows, post and vote as a
signed-in citizen. Hidden or held items never appear; authors appear by their
public label only."""

from django.contrib.gis.geos import Point
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from participation import access
from participation.models import Step, Visibility
from participation.templatetags.site import author_label

from . import services
from .models import Proposal, Question


class ProposalSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    latitude = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90, write_only=True)
    longitude = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180,
                                       write_only=True)  # fmt: skip
    point = serializers.SerializerMethodField()
    step = serializers.PrimaryKeyRelatedField(queryset=Step.objects.all())

    class Meta:
        model = Proposal
        fields = ["id", "step", "title", "body", "theme", "address", "status", "answer", "answered_at",
                  "votes_count", "comments_count", "author", "point", "latitude", "longitude", "created"]  # fmt: skip
        read_only_fields = ["status", "answer", "answered_at", "votes_count", "comments_count", "created"]

    def get_author(self, proposal) -> str:
        return str(author_label(proposal.author))

    def get_point(self, proposal) -> list[float] | None:
        return [proposal.location.x, proposal.location.y] if proposal.location else None

    def validate(self, data):
        lat, lon = data.pop("latitude", None), data.pop("longitude", None)
        if (lat is None) != (lon is None):
            raise serializers.ValidationError({"latitude": ["Latitude et longitude vont ensemble."]})
        data["location"] = Point(lon, lat, srid=4326) if lat is not None else None
        return data


class QuestionSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    step = serializers.PrimaryKeyRelatedField(queryset=Step.objects.all())

    class Meta:
        model = Question
        fields = ["id", "step", "body", "answer", "answered_at", "votes_count", "author", "created"]
        read_only_fields = ["answer", "answered_at", "votes_count", "created"]

    def get_author(self, question) -> str:
        return str(author_label(question.author))


def _visible_to(user, queryset):
    """Items of projects this person may see, visible only."""
    projects = access.visible_projects(user).values("pk")
    return queryset.filter(visibility=Visibility.VISIBLE, step__project__in=projects)


class _ModuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     viewsets.GenericViewSet):  # fmt: skip
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    filterset_fields = ["step"]

    def _step_for_writing(self, step):
        project = step.project
        if not access.can_view(self.request.user, project):
            raise NotFound()
        if not access.can_participate(self.request.user, project):
            raise PermissionDenied("Ce projet est réservé aux participants autorisés.")
        return step

    def _refused(self, exc):
        code = status.HTTP_409_CONFLICT if isinstance(exc, services.AlreadyVoted) else status.HTTP_400_BAD_REQUEST
        return Response({"detail": str(exc)}, status=code)


class ProposalViewSet(_ModuleViewSet):
    """Idea box proposals. Filter with `?step=`; `?theme=`, `?status=`; `?ordering=votes|new|comments`."""

    serializer_class = ProposalSerializer
    filterset_fields = ["step", "theme", "status"]

    def get_queryset(self):
        order = {"votes": ["-votes_count", "-id"], "comments": ["-comments_count", "-id"]}.get(
            self.request.query_params.get("ordering"), ["-created", "-id"]
        )
        return _visible_to(self.request.user, Proposal.objects.select_related("author")).order_by(*order)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        step = self._step_for_writing(data["step"])
        try:
            proposal = services.submit_proposal(
                step, author=request.user, title=data["title"], body=data["body"], theme=data.get("theme", ""),
                location=data.get("location"), address=data.get("address", ""),
            )  # fmt: skip
        except services.Refused as exc:
            return self._refused(exc)
        return Response(self.get_serializer(proposal).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ProposalSerializer, 409: dict, 400: dict})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def vote(self, request, pk=None):
        """Support this proposal (once; within the step's limit and zone)."""
        proposal = self.get_object()
        self._step_for_writing(proposal.step)
        try:
            services.vote(proposal, request.user)
        except services.Refused as exc:
            return self._refused(exc)
        return Response(self.get_serializer(proposal).data)


class QuestionViewSet(_ModuleViewSet):
    """Q&A questions, most supported first. Filter with `?step=` and `?answered=true|false`."""

    serializer_class = QuestionSerializer

    def get_queryset(self):
        questions = _visible_to(self.request.user, Question.objects.select_related("author"))
        answered = self.request.query_params.get("answered")
        if answered in ("true", "false"):
            questions = questions.filter(~Q(answered_at=None) if answered == "true" else Q(answered_at=None))
        return questions.order_by("-votes_count", "created", "id")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        step = self._step_for_writing(serializer.validated_data["step"])
        try:
            question = services.ask(step, author=request.user, body=serializer.validated_data["body"])
        except services.Refused as exc:
            return self._refused(exc)
        return Response(self.get_serializer(question).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: QuestionSerializer, 409: dict})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def upvote(self, request, pk=None):
        """Say you have this question too (once)."""
        question = self.get_object()
        self._step_for_writing(question.step)
        try:
            services.upvote(question, request.user)
        except services.Refused as exc:
            return self._refused(exc)
        return Response(self.get_serializer(question).data)
