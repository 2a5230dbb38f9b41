from django.contrib import admin

from config.admin_sites import campaign_admin

from .models import Question, Questionnaire, Section


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ["position", "title", "skip_if"]
    show_change_link = True


@admin.register(Questionnaire, site=campaign_admin)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ["__str__", "anonymous", "public_results"]
    inlines = [SectionInline]


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 1
    fields = ["position", "kind", "label", "help_text", "required", "choices", "min_choices", "max_choices",
              "scale_min", "scale_max", "groups"]  # fmt: skip
    filter_horizontal = ["groups"]


@admin.register(Section, site=campaign_admin)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["title", "questionnaire", "position"]
    inlines = [QuestionInline]
    filter_horizontal = ["groups"]
