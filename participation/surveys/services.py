"""Answering a questionnaire section by section, with jumps, groups, validation per
question type, save and resume, anonymous submission; results and exports."""

import datetime as dt
from collections import Counter

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.realtime import publish_after_commit
from participation.citizens import record_participation
from participation.geo import approximate
from participation.models import Step

from .models import Answer, Question, Questionnaire, Response, Roll, Section

# Groups smaller than this are never shown apart: a breakdown could identify someone.
MIN_GROUP_SIZE = 5


class Refused(ValueError):
    pass


def questionnaire_for(step):
    """The step's questionnaire, built the first time from the preset's starter questions."""
    found = Questionnaire.objects.filter(step=step).first()
    if found:
        return found
    with transaction.atomic():
        questionnaire, created = Questionnaire.objects.get_or_create(
            step=step, defaults={"anonymous": step.project.anonymous}
        )
        if created and step.config.get("questions"):
            section = Section.objects.create(questionnaire=questionnaire, position=1, title=step.title)
            for n, spec in enumerate(step.config["questions"], start=1):
                Question.objects.create(
                    section=section, position=n, kind=spec["type"], label=spec["label"][:300],
                    choices=spec.get("choices", []), min_choices=spec.get("min"), max_choices=spec.get("max"),
                    scale_min=spec.get("min", 1) if spec["type"] == "scale" else 1,
                    scale_max=spec.get("max", 5) if spec["type"] == "scale" else 5,
                )  # fmt: skip
    return questionnaire


def _group_ids(user):
    if user is None or not user.is_authenticated:
        return set()
    return set(user.participant_groups.values_list("pk", flat=True))


def visible_sections(questionnaire, user):
    """Sections (with their questions) this person is shown, in order."""
    mine = _group_ids(user)
    sections = questionnaire.sections.prefetch_related("groups", "questions__groups").order_by("position")
    out = []
    for section in sections:
        wanted = {g.pk for g in section.groups.all()}
        if wanted and not wanted & mine:
            continue
        section.shown = [
            q
            for q in section.questions.all()
            if not {g.pk for g in q.groups.all()} or {g.pk for g in q.groups.all()} & mine
        ]
        out.append(section)
    return out


def skipped(section, answers):
    rule = section.skip_if or {}
    return bool(rule) and str(rule.get("question")) in answers and answers[str(rule["question"])] == rule.get("equals")


def path(sections, answers):
    """The sections this respondent goes through, given their answers so far."""
    return [s for s in sections if not skipped(s, answers)]


def clean_answer(question, raw):
    """The stored value of one answer from the form's raw value(s), or raise Refused."""
    kind = question.kind
    values = raw if isinstance(raw, list) else [raw]
    values = [v.strip() if isinstance(v, str) else v for v in values]
    values = [v for v in values if v not in (None, "")]
    if not values:
        if question.required:
            raise Refused(_("Réponse obligatoire."))
        return None
    value = values[0]
    if kind in (Question.Kind.SHORT_TEXT, Question.Kind.LONG_TEXT):
        limit = 300 if kind == Question.Kind.SHORT_TEXT else 5000
        if len(value) > limit:
            raise Refused(_("%(n)d caractères au plus.") % {"n": limit})
        return value
    if kind == Question.Kind.SINGLE:
        if value not in question.choices:
            raise Refused(_("Choisissez une des réponses proposées."))
        return value
    if kind == Question.Kind.MULTIPLE:
        if any(v not in question.choices for v in values):
            raise Refused(_("Choisissez parmi les réponses proposées."))
        chosen = [c for c in question.choices if c in values]
        if question.min_choices and len(chosen) < question.min_choices:
            raise Refused(_("Choisissez au moins %(n)d réponses.") % {"n": question.min_choices})
        if question.max_choices and len(chosen) > question.max_choices:
            raise Refused(_("Choisissez au plus %(n)d réponses.") % {"n": question.max_choices})
        return chosen
    if kind == Question.Kind.RANKING:
        # One rank per choice: {"choice": rank}. The form sends "rank-<i>" values.
        if sorted(values) != sorted(question.choices):
            raise Refused(_("Classez chaque proposition une fois, de la première à la dernière."))
        return values
    if kind == Question.Kind.SCALE:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise Refused(_("Choisissez une valeur de l'échelle.")) from None
        if not question.scale_min <= number <= question.scale_max:
            raise Refused(_("Choisissez une valeur entre %(a)d et %(b)d.") % {"a": question.scale_min,
                                                                            "b": question.scale_max})  # fmt: skip
        return number
    if kind == Question.Kind.NUMBER:
        try:
            number = float(str(value).replace(",", "."))
        except ValueError:
            raise Refused(_("« %(v)s » n'est pas un nombre.") % {"v": value}) from None
        return int(number) if number.is_integer() else number
    if kind == Question.Kind.DATE:
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return dt.datetime.strptime(value, fmt).date().isoformat()
            except ValueError:
                continue
        raise Refused(_("« %(v)s » n'est pas une date (JJ/MM/AAAA).") % {"v": value})
    if kind == Question.Kind.PLACE:
        try:
            lat, lon = (float(part) for part in str(value).split(","))
        except ValueError:
            raise Refused(_("Cliquez sur la carte pour indiquer un lieu.")) from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise Refused(_("Ce lieu est hors de la carte."))
        point = approximate(lat, lon)
        return [point.x, point.y]
    if kind == Question.Kind.YES_NO:
        if value not in ("yes", "no"):
            raise Refused(_("Répondez oui ou non."))
        return value == "yes"
    raise Refused(_("Type de question inconnu."))


def clean_section(section, raw_values):
    """({question id: value}, {question id: error}) for one section's form data."""
    answers, errors = {}, {}
    for question in section.shown:
        try:
            value = clean_answer(question, raw_values.get(question.pk))
        except Refused as exc:
            errors[question.pk] = str(exc)
            continue
        if value is not None:
            answers[str(question.pk)] = value
    return answers, errors


def can_answer_again(questionnaire, user):
    if user is None or not user.is_authenticated:
        return True
    if questionnaire.anonymous:
        return not Roll.objects.filter(questionnaire=questionnaire, user=user).exists()
    return not Response.objects.filter(questionnaire=questionnaire, user=user, submitted_at__isnull=False).exists()


def draft_for(questionnaire, user):
    """The signed-in, non-anonymous respondent's unfinished response (save and resume)."""
    response, _created = Response.objects.get_or_create(questionnaire=questionnaire, user=user)
    return response


def save_draft(response, answers, section):
    with transaction.atomic():
        Answer.objects.filter(response=response, question__section=section).delete()
        Answer.objects.bulk_create(Answer(response=response, question_id=int(q), value=v) for q, v in answers.items())
        response.save(update_fields=["updated"])


def missing_required(sections, answers):
    return [q for s in path(sections, answers) for q in s.shown if q.required and str(q.pk) not in answers]


def submit(questionnaire, user, answers, sections):
    """Record the finished response. Anonymous: no user, the day only, and a roll entry
    so the person cannot answer twice."""
    if questionnaire.step.status() != Step.Status.OPEN:
        raise Refused(_("Ce questionnaire n'est pas ouvert."))
    if missing_required(sections, answers):
        raise Refused(_("Des réponses obligatoires manquent."))
    wanted = {str(q.pk) for s in path(sections, answers) for q in s.shown}
    kept = {q: v for q, v in answers.items() if q in wanted}
    groups = sorted(user.participant_groups.values_list("name", flat=True)) if user and user.is_authenticated else []
    now = timezone.now()
    try:
        with transaction.atomic():
            if questionnaire.anonymous:
                if user is not None and user.is_authenticated:
                    Roll.objects.create(questionnaire=questionnaire, user=user)
                response = Response.objects.create(questionnaire=questionnaire, groups=groups, submitted_at=None,
                                                   submitted_on=timezone.localdate())  # fmt: skip
            else:
                response = draft_for(questionnaire, user)
                if response.submitted_at:
                    raise Refused(_("Vous avez déjà répondu à ce questionnaire."))
                response.groups, response.submitted_at, response.submitted_on = groups, now, timezone.localdate(now)
                response.save()
                response.answers.all().delete()
                record_participation(user, module="surveys", action="answer", step=questionnaire.step,
                                     summary=questionnaire.step.title)  # fmt: skip
            Answer.objects.bulk_create(Answer(response=response, question_id=int(q), value=v) for q, v in kept.items())
            announce_places(questionnaire, kept, sections)
    except IntegrityError:
        raise Refused(_("Vous avez déjà répondu à ce questionnaire.")) from None
    return response


def announce_places(questionnaire, answers, sections):
    """Answers that are places go to the team's open maps once committed."""
    for section in sections:
        for q in section.shown:
            value = answers.get(str(q.pk))
            if q.kind == Question.Kind.PLACE and value:
                publish_after_commit("contribution", {
                    "type": "Feature", "geometry": {"type": "Point", "coordinates": value},
                    "properties": {"kind": "answer", "id": f"a{q.pk}-{value[0]}-{value[1]}", "title": q.label,
                                   "theme": questionnaire.step.title, "status": "", "votes": None,
                                   "url": questionnaire.step.get_absolute_url()},
                })  # fmt: skip


def submitted(questionnaire):
    return Response.objects.filter(questionnaire=questionnaire, submitted_on__isnull=False).exclude(
        user__isnull=False, submitted_at__isnull=True
    )


def results(questionnaire):
    """Per question: counts per choice (or scale value), ranking mean positions, number
    statistics, texts; and the same split by respondents' groups of 5 or more."""
    responses = submitted(questionnaire)
    total = responses.count()
    by_group = Counter(g for groups in responses.values_list("groups", flat=True) for g in groups)
    shown_groups = sorted(g for g, n in by_group.items() if n >= MIN_GROUP_SIZE)
    rows = Answer.objects.filter(response__in=responses).values_list("question_id", "value", "response__groups")
    per_question = {}
    for question_id, value, groups in rows:
        per_question.setdefault(question_id, []).append((value, groups))
    out = []
    for section in questionnaire.sections.order_by("position").prefetch_related("questions"):
        for q in section.questions.order_by("position"):
            values = per_question.get(q.pk, [])
            out.append(_summary(q, values, shown_groups) | {"question": q, "section": section})
    return {
        "total": total,
        "questions": out,
        "groups": shown_groups,
        "hidden_groups": len(by_group) - len(shown_groups),
    }


def _counts(q, values):
    if q.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        counts = Counter(v for value in values for v in (value if isinstance(value, list) else [value]))
        return [(c, counts.get(c, 0)) for c in q.choices]
    if q.kind == Question.Kind.SCALE:
        counts = Counter(values)
        return [(str(n), counts.get(n, 0)) for n in range(q.scale_min, q.scale_max + 1)]
    if q.kind == Question.Kind.YES_NO:
        counts = Counter(values)
        return [(_("Oui"), counts.get(True, 0)), (_("Non"), counts.get(False, 0))]
    return None


def _summary(q, pairs, shown_groups):
    values = [v for v, _g in pairs]
    summary = {"answered": len(values), "counts": _counts(q, values)}
    if q.kind == Question.Kind.RANKING:
        positions = {c: [] for c in q.choices}
        for ranking in values:
            for i, choice in enumerate(ranking, start=1):
                positions.setdefault(choice, []).append(i)
        summary["ranking"] = sorted(
            ((c, round(sum(p) / len(p), 2)) for c, p in positions.items() if p), key=lambda item: item[1]
        )
    elif q.kind == Question.Kind.NUMBER and values:
        ordered = sorted(values)
        summary["stats"] = {"min": ordered[0], "max": ordered[-1], "mean": round(sum(ordered) / len(ordered), 2),
                            "median": ordered[len(ordered) // 2]}  # fmt: skip
    elif q.kind in (Question.Kind.SHORT_TEXT, Question.Kind.LONG_TEXT, Question.Kind.DATE):
        summary["texts"] = values[:500]
    if summary["counts"] is not None and shown_groups:
        summary["by_group"] = [(g, _counts(q, [v for v, groups in pairs if g in groups])) for g in shown_groups]
    return summary


def export_rows(questionnaire):
    """(headers, rows): one row per submitted response, one column per question."""
    questions = list(Question.objects.filter(section__questionnaire=questionnaire).order_by("section__position",
                                                                                             "position"))  # fmt: skip
    headers = [_("Réponse"), _("Date"), _("Groupes")] + [q.label for q in questions]
    rows = []
    answers = {}
    responses = list(submitted(questionnaire).order_by("submitted_on", "id"))
    for response_id, question_id, value in Answer.objects.filter(response__in=responses).values_list(
        "response_id", "question_id", "value"
    ):
        answers[(response_id, question_id)] = value
    for n, r in enumerate(responses, start=1):
        row = [n, r.submitted_on.isoformat() if r.submitted_on else "", ", ".join(r.groups)]
        for q in questions:
            value = answers.get((r.pk, q.pk))
            row.append(" ; ".join(map(str, value)) if isinstance(value, list) else ("" if value is None else value))
        rows.append(row)
    return headers, rows
