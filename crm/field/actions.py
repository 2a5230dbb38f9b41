"""Actions: their result codes, their survey, and what an answer changes on a contact."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Action

# "reached": the volunteer met or spoke with someone (counts as "people reached").
DOOR_RESULTS = [
    ("not_home", gettext_lazy("Absent"), False),
    ("talked", gettext_lazy("Ouvert / discuté"), True),
    ("refused", gettext_lazy("Refus"), True),
    ("come_back", gettext_lazy("Repasser plus tard"), False),
    ("moved", gettext_lazy("A déménagé"), False),
    ("wrong_address", gettext_lazy("Adresse erronée"), False),
    ("no_access", gettext_lazy("Immeuble inaccessible"), False),
]
PHONE_RESULTS = [
    ("no_answer", gettext_lazy("Pas de réponse"), False),
    ("voicemail", gettext_lazy("Messagerie"), False),
    ("wrong_number", gettext_lazy("Mauvais numéro"), False),
    ("talked", gettext_lazy("Discuté"), True),
    ("call_back", gettext_lazy("Rappeler"), False),
]
DROP_RESULTS = [
    ("dropped", gettext_lazy("Tracts déposés"), False),
    ("no_access", gettext_lazy("Immeuble inaccessible"), False),
    ("no_junk_mail", gettext_lazy("« Stop pub »"), False),
]
LEAFLETING_RESULTS = [("handed_out", gettext_lazy("Tracts distribués"), True)]
EVENT_RESULTS = [("attended", gettext_lazy("Présent"), True), ("no_show", gettext_lazy("Absent"), False)]

DEFAULT_RESULTS = {
    Action.Kind.DOOR_TO_DOOR: DOOR_RESULTS,
    Action.Kind.PHONE: PHONE_RESULTS,
    Action.Kind.LETTERBOX: DROP_RESULTS,
    Action.Kind.LEAFLETING: LEAFLETING_RESULTS,
    Action.Kind.EVENT: EVENT_RESULTS,
}
# A call with one of these results goes back to the list for another try.
CALL_AGAIN = {"no_answer", "voicemail", "call_back"}

QUESTION_TYPES = {"yes_no", "single", "multiple", "scale", "text"}
# What an answer may change on the contact, and for which question types.
UPDATES = {
    "support_level": {"scale"},
    "consent_email": {"yes_no"},
    "consent_sms": {"yes_no"},
    "consent_phone": {"yes_no"},
    "consent_door": {"yes_no"},
    "tag": {"yes_no", "single", "multiple"},
    "volunteer": {"yes_no"},
}
VOLUNTEER_TAG = "Veut s'engager"


class BadSurvey(ValueError):
    def __init__(self, problems):
        super().__init__("; ".join(problems))
        self.problems = problems


def assignment_problems(action, *, turf, volunteer, team, starts_at, ends_at):
    """[(field or None, message)] of what is wrong with an assignment, for the team's
    form and the API alike. A missing person or team comes alone."""
    if not volunteer and not team:
        return [(None, _("Affectez à un ou une bénévole ou à une équipe."))]
    problems = []
    if starts_at and ends_at and ends_at <= starts_at:
        problems.append(("ends_at", _("La fin est avant le début.")))
    if action.kind == Action.Kind.DOOR_TO_DOOR and turf is None:
        problems.append(("turf", _("Un porte-à-porte s'affecte par secteur.")))
    return problems


def default_result_codes(kind):
    return [{"code": code, "label": str(label), "reached": reached} for code, label, reached in DEFAULT_RESULTS[kind]]


def result_labels(action_kind, codes):
    """{code: label} of an action: its own result codes, else its kind's defaults."""
    return {c["code"]: c["label"] for c in (codes or default_result_codes(action_kind))}


def result_choices(actions):
    """[(kind label, [(code, label), ...])] per kind of action: the results the actions
    of that kind can record (each code once, its first label), the kind's defaults
    when none of its actions is planned yet; what the live map filters on."""
    groups = []
    for kind, kind_label in Action.Kind.choices:
        choices = {}
        for action in actions:
            if action.kind == kind:
                for code, label in result_labels(kind, action.result_codes).items():
                    choices.setdefault(code, label)
        groups.append((kind_label, list((choices or result_labels(kind, None)).items())))
    return groups


def clean_result_codes(codes, kind):
    """The action's result codes; empty means the defaults for its kind."""
    if not codes:
        return default_result_codes(kind)
    problems, seen, out = [], set(), []
    if not isinstance(codes, list):
        raise BadSurvey([_("Les résultats possibles doivent être une liste.")])
    for i, item in enumerate(codes, start=1):
        code = item.get("code") if isinstance(item, dict) else None
        if not code or not isinstance(code, str) or len(code) > 40:
            problems.append(_("Résultat %(n)d : code manquant ou trop long.") % {"n": i})
        elif code in seen:
            problems.append(_("Résultat %(n)d : le code « %(code)s » est en double.") % {"n": i, "code": code})
        else:
            seen.add(code)
            out.append({"code": code, "label": str(item.get("label") or code), "reached": bool(item.get("reached"))})
    if problems:
        raise BadSurvey(problems)
    return out


def clean_survey(survey):
    """Check a survey's questions; raise BadSurvey naming the question and the problem."""
    if survey in (None, ""):
        return []
    if not isinstance(survey, list):
        raise BadSurvey([_("Le questionnaire doit être une liste de questions.")])
    problems, ids, out = [], set(), []
    for n, q in enumerate(survey, start=1):
        if not isinstance(q, dict):
            problems.append(_("Question %(n)d : format invalide.") % {"n": n})
            continue
        qid, label, qtype = q.get("id") or f"q{n}", q.get("label"), q.get("type")
        where = _("Question %(n)d (%(id)s)") % {"n": n, "id": qid}
        if not label:
            problems.append(_("%(where)s : intitulé manquant.") % {"where": where})
        if qtype not in QUESTION_TYPES:
            problems.append(
                _("%(where)s : type « %(type)s » inconnu (oui/non, choix unique, choix multiple, échelle, texte).")
                % {"where": where, "type": qtype}
            )
            continue
        if qid in ids:
            problems.append(_("%(where)s : identifiant en double.") % {"where": where})
        ids.add(qid)
        choices = q.get("choices") or []
        if qtype in ("single", "multiple") and (not isinstance(choices, list) or len(choices) < 2):
            problems.append(_("%(where)s : au moins deux choix.") % {"where": where})
        updates = q.get("updates") or ""
        if updates and qtype not in UPDATES.get(updates, ()):
            problems.append(
                _("%(where)s : une réponse de ce type ne peut pas mettre à jour « %(field)s ».")
                % {"where": where, "field": updates}
            )
        if updates == "tag" and qtype == "yes_no" and not q.get("tag"):
            problems.append(_("%(where)s : indiquez l'étiquette à ajouter (« tag »).") % {"where": where})
        out.append(
            {"id": qid, "label": label, "type": qtype, "choices": [str(c) for c in choices]}
            | ({"updates": updates} if updates else {})
            | ({"tag": q["tag"]} if q.get("tag") else {})
        )
    if problems:
        raise BadSurvey(problems)
    return out


def clean_answers(action, answers):
    """Answers checked against the action's survey: {question id: value}."""
    if answers in (None, ""):
        return {}
    if not isinstance(answers, dict):
        raise BadSurvey([_("Les réponses doivent être un objet {question: réponse}.")])
    questions = {q["id"]: q for q in action.survey}
    problems = []
    for qid, value in answers.items():
        q = questions.get(qid)
        if q is None:
            problems.append(_("Réponse à une question inconnue : « %(id)s ».") % {"id": qid})
            continue
        t = q["type"]
        ok = (
            (t == "yes_no" and isinstance(value, bool))
            or (t == "single" and value in q["choices"])
            or (t == "multiple" and isinstance(value, list) and all(v in q["choices"] for v in value))
            or (t == "scale" and isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5)
            or (t == "text" and isinstance(value, str) and len(value) <= 2000)
        )
        if not ok:
            problems.append(
                _("Question « %(label)s » : réponse invalide (%(value)r).") % {"label": q["label"], "value": value}
            )
    if problems:
        raise BadSurvey(problems)
    # A text answer keeps no NUL character: nobody types it, and PostgreSQL refuses it.
    return {qid: v.replace("\x00", "") if isinstance(v, str) else v for qid, v in answers.items()}


def sensitive_questions(action):
    """Ids of the survey's questions whose answers fill an opinion field of the contact
    (Contact.SENSITIVE_FIELDS: the support level): shown only to roles that may see
    opinions (crm.see_sensitive)."""
    from crm.models import Contact

    return {q["id"] for q in action.survey or [] if q.get("updates") in Contact.SENSITIVE_FIELDS}


def apply_answers(contact, action, answers, *, actor, source):
    """Let the answers update the contact: support level, consents, tags, wanting to
    volunteer. Consent changes go to the consent log."""
    from crm import consent
    from crm.models import Tag

    changed, tags = set(), set()
    for q in action.survey:
        if q["id"] not in answers or not q.get("updates"):
            continue
        value, target = answers[q["id"]], q["updates"]
        if target == "support_level":
            contact.support_level = value
            changed.add("support_level")
        elif target.startswith("consent_"):
            # The person's own answer about one channel: a new consent (which may lift an
            # earlier opt-out, with this reason) or declining that channel (crm/consent.py).
            channel = target.removeprefix("consent_")
            if value:
                consent.grant(contact, channel, source=source, actor=actor,
                              reason=_("réponse donnée sur le terrain"), new_consent=True)  # fmt: skip
            else:
                consent.withdraw(contact, channel, source=source, actor=actor)
            changed.add(target)
        elif target == "tag":
            if q["type"] == "yes_no":
                tags |= {q["tag"]} if value else set()
            else:
                tags |= set(value if isinstance(value, list) else [value])
        elif target == "volunteer" and value:
            tags.add(VOLUNTEER_TAG)
    if changed:
        contact.save(update_fields=[*changed, "updated"])
    for name in tags:
        tag, _created = Tag.objects.get_or_create(name=name[:80])
        contact.tags.add(tag)
    return changed | ({"tags"} if tags else set())
