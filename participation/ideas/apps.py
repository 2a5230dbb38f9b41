from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdeasConfig(AppConfig):
    name = "participation.ideas"
    label = "ideas"
    verbose_name = _("Boîte à idées et questions")

    def ready(self):
        from django.db.models.signals import post_save

        from participation import moderation
        from participation import views as site_views
        from participation.models import Comment, Step

        from . import views
        from .models import Proposal, Question

        moderation.register(Proposal)
        moderation.register(Question)
        site_views.COMMENTABLE["proposal"] = Proposal
        site_views.FLAGGABLE.update(proposition=Proposal, question=Question)
        for kind in (Step.Kind.COLLECT, Step.Kind.SELECTION, Step.Kind.VOTE):
            site_views.STEP_VIEWS[kind] = views.step_ideas
        site_views.STEP_VIEWS[Step.Kind.QA] = views.step_questions
        post_save.connect(count_comments, sender=Comment, dispatch_uid="ideas.count_comments")


def count_comments(sender, instance, **kwargs):
    """Keep a proposal's visible comment count (for "most commented") current."""
    from django.contrib.contenttypes.models import ContentType

    from participation.models import Comment, Visibility

    from .models import Proposal

    ct = ContentType.objects.get_for_model(Proposal)
    if instance.content_type_id != ct.pk:
        return
    visible = Comment.objects.filter(content_type=ct, object_id=instance.object_id, visibility=Visibility.VISIBLE)
    Proposal.objects.filter(pk=instance.object_id).update(comments_count=visible.count())
