"""API of the mutual aid, consultation and questionnaire modules (the idea box and Q&A
are in participation/ideas/api.py). What the public pages show, the same rules:
visible items of projects the caller may see, authors by public label, no e-mail."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from campaigns.http import parse_id
from participation import access, moderation
from participation.aid import services as aid
from participation.aid.models import HelpPost
from participation.debate import services as debate
from participation.debate.models import Contribution, TextSection
from participation.models import Step, Visibility
from participation.surveys import services as surveys
from participation.templatetags.site import author_label


class HelpPostSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    area = serializers.SerializerMethodField()
    latitude = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90, write_only=True)
    longitude = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180,
                                       write_only=True)  # fmt: skip

    class Meta:
        model = HelpPost
        fields = ["id", "kind", "category", "title", "body", "area_label", "area", "status", "author", "created",
                  "latitude", "longitude"]  # fmt: skip
        read_only_fields = ["status", "created"]

    def get_author(self, post) -> str:
        return str(author_label(post.author))

    def get_area(self, post) -> list[float] | None:
        return [post.area.x, post.area.y] if post.area else None


class MessageSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=3000)


class HelpPostViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      viewsets.GenericViewSet):  # fmt: skip
    """Mutual aid posts (open ones; `?kind=offer|request`, `?category=`). Places are approximate."""

    serializer_class = HelpPostSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    filterset_fields = ["kind", "category"]

    def get_queryset(self):
        return HelpPost.objects.filter(visibility=Visibility.VISIBLE, status=HelpPost.Status.OPEN).select_related(
            "author"
        )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            post = aid.post_help(author=request.user, kind=data["kind"], category=data["category"],
                                 title=data["title"], body=data["body"], latitude=data.get("latitude"),
                                 longitude=data.get("longitude"), area_label=data.get("area_label", ""))  # fmt: skip
        except (aid.Refused, moderation.Banned) as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(self.get_serializer(post).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MessageSerializer, responses={201: dict, 400: dict})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def contact(self, request, pk=None):
        """Write to the post's author through the platform (no e-mail is revealed)."""
        post = self.get_object()
        serializer = MessageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            conversation = aid.contact(post, asker=request.user, body=serializer.validated_data["body"],
                                       url_for=lambda c: request.build_absolute_uri(
                                           reverse("aid:conversation", args=[c.pk])))  # fmt: skip
        except (aid.Refused, moderation.Banned) as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"conversation": conversation.pk}, status=status.HTTP_201_CREATED)


class ContributionSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    section = serializers.PrimaryKeyRelatedField(queryset=TextSection.objects.all())

    class Meta:
        model = Contribution
        fields = ["id", "section", "kind", "body", "agree", "disagree", "mixed", "author", "created"]
        read_only_fields = ["agree", "disagree", "mixed", "created"]

    def get_author(self, contribution) -> str:
        return str(author_label(contribution.author))


class VoteSerializer(serializers.Serializer):
    value = serializers.ChoiceField(choices=[1, 0, -1], help_text="1 agree, 0 mixed, -1 disagree")


class ContributionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                          viewsets.GenericViewSet):  # fmt: skip
    """Consultation contributions and amendments (`?section=`)."""

    serializer_class = ContributionSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    filterset_fields = ["section", "kind"]

    def get_queryset(self):
        projects = access.visible_projects(self.request.user).values("pk")
        return Contribution.public().filter(section__step__project__in=projects).select_related("author")

    def _writable(self, section):
        project = section.step.project
        if not access.can_view(self.request.user, project):
            raise NotFound()
        if not access.can_participate(self.request.user, project):
            raise PermissionDenied("Ce projet est réservé aux participants autorisés.")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        self._writable(data["section"])
        try:
            contribution = debate.contribute(data["section"], author=request.user, body=data["body"],
                                             kind=data.get("kind", Contribution.Kind.CONTRIBUTION))  # fmt: skip
        except (debate.Refused, moderation.Banned) as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(self.get_serializer(contribution).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=VoteSerializer, responses={200: ContributionSerializer, 400: dict})
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def vote(self, request, pk=None):
        """Agree (1), mixed (0) or disagree (-1); voting again changes the vote."""
        contribution = self.get_object()
        self._writable(contribution.section)
        serializer = VoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            contribution = debate.vote(contribution, user=request.user, value=serializer.validated_data["value"])
        except (debate.Refused, moderation.Banned) as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(self.get_serializer(contribution).data)


class AnswersSerializer(serializers.Serializer):
    answers = serializers.DictField(help_text='{"<question id>": value or [values]}')


class QuestionnaireViewSet(viewsets.GenericViewSet):
    """A questionnaire step: its questions for the caller, and answering in one request."""

    permission_classes = [permissions.IsAuthenticated]
    queryset = Step.objects.filter(kind=Step.Kind.QUESTIONNAIRE)

    def _step(self, pk):
        step = Step.objects.filter(pk=parse_id(pk), kind=Step.Kind.QUESTIONNAIRE).select_related("project").first()
        if step is None or not access.can_view(self.request.user, step.project):
            raise NotFound()
        return step

    @extend_schema(responses={200: dict})
    def retrieve(self, request, pk=None):
        step = self._step(pk)
        questionnaire = surveys.questionnaire_for(step)
        sections = surveys.visible_sections(questionnaire, request.user)
        return Response({
            "step": step.pk, "anonymous": questionnaire.anonymous, "open": step.status() == Step.Status.OPEN,
            "answered": not surveys.can_answer_again(questionnaire, request.user),
            "sections": [{"title": s.title, "skip_if": s.skip_if, "questions": [
                {"id": q.pk, "kind": q.kind, "label": q.label, "required": q.required, "choices": q.choices,
                 "min_choices": q.min_choices, "max_choices": q.max_choices,
                 "scale": [q.scale_min, q.scale_max] if q.kind == "scale" else None}
                for q in s.shown]} for s in sections],
        })  # fmt: skip

    @extend_schema(request=AnswersSerializer, responses={201: dict, 400: dict})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Submit every answer at once; each is checked as on the page."""
        step = self._step(pk)
        if not access.can_participate(request.user, step.project):
            raise PermissionDenied("Ce projet est réservé aux participants autorisés.")
        questionnaire = surveys.questionnaire_for(step)
        if not surveys.can_answer_again(questionnaire, request.user):
            return Response({"detail": "Vous avez déjà répondu à ce questionnaire."}, status=status.HTTP_409_CONFLICT)
        serializer = AnswersSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        raw = {str(k): v for k, v in serializer.validated_data["answers"].items()}
        sections = surveys.visible_sections(questionnaire, request.user)
        shown = {str(q.pk): q for section in sections for q in section.shown}
        answers = {}
        errors = dict.fromkeys(set(raw) - set(shown), "Question inconnue.")
        for key, question in shown.items():
            if key not in raw:
                continue
            try:
                value = surveys.clean_answer(question, raw[key])
            except surveys.Refused as exc:
                errors[key] = str(exc)
                continue
            if value is not None:
                answers[key] = value
        for question in surveys.missing_required(sections, answers):
            errors.setdefault(str(question.pk), "Réponse obligatoire.")
        if errors:
            return Response({"answers": errors}, status=status.HTTP_400_BAD_REQUEST)
        try:
            surveys.submit(questionnaire, request.user, answers, sections)
        except surveys.Refused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"submitted": True}, status=status.HTTP_201_CREATED)
