"""Scenario presets: a participatory process ready to open in one action.

Each preset lists its steps with a share of the total duration, and starter content
(themes for idea boxes, questions for questionnaires, explanatory texts). Texts are
translatable and written into the project in the campaign's language.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

K_PRESENTATION, K_CONSULTATION, K_COLLECT, K_SELECTION = "presentation", "consultation", "collect", "selection"
K_VOTE, K_QUESTIONNAIRE, K_QA, K_RESULTS = "vote", "questionnaire", "qa", "results"


@dataclass(frozen=True)
class StepSpec:
    kind: str
    title: str
    description: str
    # Share of the project's duration (the shares of a preset need not add up to 1).
    share: float
    themes: tuple = ()
    questions: tuple = ()


@dataclass(frozen=True)
class ProjectPreset:
    name: str
    label: str
    summary: str
    description: str
    steps: list = field(default_factory=list)


def q(kind, label, **extra):
    return {"type": kind, "label": label, **extra}


PROJECT_PRESETS = {
    p.name: p
    for p in [
        ProjectPreset(
            name="programme",
            label=_("Co-construire le programme"),
            summary=_("Vos idées pour le programme, puis un vote sur les priorités."),
            description=_(
                "Nous construisons notre programme avec vous. Proposez vos idées thème par thème, "
                "commentez celles des autres, puis votez pour les priorités que nous porterons."
            ),
            steps=[
                StepSpec(K_PRESENTATION, _("La démarche"), _("Comment vos idées deviennent notre programme."), 0.05),
                StepSpec(
                    K_COLLECT,
                    _("Vos idées"),
                    _("Proposez une idée par thème ; soutenez celles qui vous parlent."),
                    0.45,
                    themes=(
                        _("Logement"),
                        _("Transports"),
                        _("Écologie"),
                        _("Écoles et jeunesse"),
                        _("Sécurité"),
                        _("Vie associative"),
                        _("Commerces et emploi"),
                    ),
                ),  # fmt: skip
                StepSpec(K_SELECTION, _("Sélection"), _("L'équipe regroupe et retient les idées réalisables."), 0.15),
                StepSpec(K_VOTE, _("Vote des priorités"), _("Choisissez les idées à porter en premier."), 0.25),
                StepSpec(K_RESULTS, _("Résultats"), _("Ce que nous retenons, et pourquoi."), 0.10),
            ],
        ),
        ProjectPreset(
            name="crisis-review",
            label=_("Retour sur une crise"),
            summary=_("Ce qui a marché, ce qui a échoué, ce qu'il faut changer."),
            description=_(
                "Après une période difficile, nous voulons comprendre ce qui a tenu et ce qui a lâché. "
                "Vos réponses sont lues par l'équipe et la synthèse sera publiée ici."
            ),
            steps=[
                StepSpec(
                    K_QUESTIONNAIRE,
                    _("Votre expérience"),
                    _("Une dizaine de questions, environ 10 minutes."),
                    0.5,
                    questions=(
                        q(
                            "single_choice",
                            _("Pendant la crise, avez-vous continué à travailler sur site ?"),
                            choices=[_("Oui"), _("Non"), _("En partie")],
                            group_split=True,
                        ),
                        q("long_text", _("Qu'est-ce qui a bien fonctionné ?")),
                        q("long_text", _("Qu'est-ce qui a échoué ou manqué ?")),
                        q("scale", _("Vous êtes-vous senti·e informé·e ?"), min=1, max=5),
                        q("long_text", _("Que faudrait-il changer en priorité ?")),
                    ),
                ),  # fmt: skip
                StepSpec(
                    K_COLLECT,
                    _("Pistes d'amélioration"),
                    _("Proposez des changements concrets."),
                    0.3,
                    themes=(_("Organisation"), _("Communication"), _("Outils"), _("Santé et sécurité")),
                ),
                StepSpec(K_RESULTS, _("Synthèse"), _("Ce que nous avons appris, et ce qui change."), 0.2),
            ],
        ),
        ProjectPreset(
            name="strengths-weaknesses",
            label=_("Forces et faiblesses"),
            summary=_("Un diagnostic partagé : nos atouts, nos points faibles."),
            description=_("Dites-nous ce qui fait notre force et ce qui nous freine, puis débattons des priorités."),
            steps=[
                StepSpec(
                    K_QUESTIONNAIRE,
                    _("Diagnostic"),
                    _("Nos forces, nos faiblesses, en quelques questions."),
                    0.4,
                    questions=(
                        q("long_text", _("Quelles sont nos trois principales forces ?")),
                        q("long_text", _("Quelles sont nos trois principales faiblesses ?")),
                        q(
                            "ranking",
                            _("Classez ces domaines du plus solide au plus fragile"),
                            choices=[_("Organisation"), _("Communication"), _("Compétences"), _("Moyens")],
                        ),
                    ),
                ),  # fmt: skip
                StepSpec(K_CONSULTATION, _("Débat"), _("Réagissez au diagnostic, section par section."), 0.4),
                StepSpec(K_RESULTS, _("Conclusions"), _("Ce que nous retenons."), 0.2),
            ],
        ),
        ProjectPreset(
            name="organisation-review",
            label=_("Bilan d'une nouvelle organisation"),
            summary=_("Quelques mois après un changement d'organisation, qu'en pensez-vous ?"),
            description=_(
                "Une nouvelle organisation a été mise en place. Nous voulons savoir comment elle fonctionne "
                "au quotidien, pour chacun, et ce qu'il faut ajuster."
            ),
            steps=[
                StepSpec(K_PRESENTATION, _("Le changement"), _("Ce qui a changé et pourquoi."), 0.1),
                StepSpec(
                    K_QUESTIONNAIRE,
                    _("Votre quotidien"),
                    _("Comment la nouvelle organisation marche pour vous."),
                    0.5,
                    questions=(
                        q("scale", _("La nouvelle organisation facilite-t-elle votre travail ?"), min=1, max=5),
                        q(
                            "multiple_choice",
                            _("Qu'est-ce qui s'est amélioré ?"),
                            choices=[
                                _("Les délais"),
                                _("La coordination"),
                                _("La charge de travail"),
                                _("L'information"),
                            ],
                            min=0,
                            max=4,
                        ),
                        q("long_text", _("Que faudrait-il ajuster ?")),
                    ),
                ),  # fmt: skip
                StepSpec(K_QA, _("Vos questions"), _("Posez vos questions, la direction y répond."), 0.25),
                StepSpec(K_RESULTS, _("Résultats"), _("Résultats et ajustements décidés."), 0.15),
            ],
        ),
        ProjectPreset(
            name="open-debate",
            label=_("Débat ouvert"),
            summary=_("Un texte à discuter : amendez, argumentez, votez."),
            description=_(
                "Nous soumettons un projet au débat. Chacun peut proposer des modifications, argumenter pour "
                "ou contre, et voter."
            ),
            steps=[
                StepSpec(K_PRESENTATION, _("Le projet"), _("Le texte et ses enjeux."), 0.1),
                StepSpec(K_CONSULTATION, _("Débat"), _("Contributions, amendements et arguments."), 0.6),
                StepSpec(K_VOTE, _("Vote"), _("Votez sur les propositions les plus soutenues."), 0.2),
                StepSpec(K_RESULTS, _("Synthèse"), _("La synthèse de l'équipe."), 0.1),
            ],
        ),
        ProjectPreset(
            name="questions-first",
            label=_("Les questions d'abord"),
            summary=_("D'abord vos questions, puis vos idées, puis un diagnostic partagé."),
            description=_(
                "En période d'incertitude, on a plus de questions que d'idées. Posez les vôtres : nous y "
                "répondons d'abord. Viendront ensuite les idées, puis un diagnostic commun."
            ),
            steps=[
                StepSpec(K_QA, _("Vos questions"), _("Posez vos questions et soutenez celles des autres."), 0.35),
                StepSpec(
                    K_COLLECT,
                    _("Vos idées"),
                    _("Maintenant, vos propositions."),
                    0.35,
                    themes=(_("Organisation"), _("Information"), _("Accompagnement")),
                ),
                StepSpec(
                    K_CONSULTATION, _("Diagnostic partagé"), _("Réagissez au diagnostic que nous en tirons."), 0.3
                ),
            ],
        ),
    ]
}
DEFAULT_DAYS = 21
