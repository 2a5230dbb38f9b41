"""Every endpoint a campaign's host serves, as concrete requests for the checks.

`operations()` lists the API operations of the OpenAPI schema and every other
route of config.urls_tenant (staff pages, the public site, the volunteers' app),
each with the objects its URL parameters name. A route with parameters that
`ROUTE_PARAMS` does not describe is reported by the checks, so a new page cannot
escape them unnoticed.
"""

import re
from dataclasses import dataclass

from django.urls import URLResolver, get_resolver, resolve


def _step(kind):
    """A project slug and step position naming a step of that kind (World.steps)."""
    return {"slug": f"step:{kind}:slug", "position": f"step:{kind}:position"}


COLLECT = _step("collect")

# url name -> {parameter: source}. Sources: "pk:<model label>", "slug:<kind>" (World.slugs),
# "secret:<name>" (World.secrets), "step:<kind>:slug|position" (World.steps), "api:<path>" (the
# ids the API view's queryset holds), "schema", or a literal value.
ROUTE_PARAMS = {
    "site:news-post": {"slug": "slug:news"},
    "site:page": {"slug": "slug:page"},
    "site:event": {"slug": "slug:event"},
    "site:event-rsvp": {"slug": "slug:event"},
    "site:event-cancel": {"slug": "slug:event", "token": "secret:rsvp"},
    "site:event-ics": {"slug": "slug:event"},
    "site:project": {"slug": "slug:project"},
    "site:step": COLLECT,
    "site:comment": {"kind": "proposal", "pk": "pk:ideas.proposal"},
    "site:flag": {"kind": "commentaire", "pk": "pk:participation.comment"},
    "site:confirm": {"token": "secret:confirm"},
    "site:media": {"schema": "schema", "path": "secret:media-path"},
    "ideas:propose": COLLECT,
    "ideas:geojson": COLLECT,
    "ideas:export": {**COLLECT, "fmt": "csv"},
    "ideas:ask": _step("qa"),
    "ideas:carry-forward": _step("vote"),
    "ideas:proposal": {"pk": "pk:ideas.proposal"},
    "ideas:vote": {"pk": "pk:ideas.proposal"},
    "ideas:answer": {"pk": "pk:ideas.proposal"},
    "ideas:upvote": {"pk": "pk:ideas.question"},
    "ideas:question-answer": {"pk": "pk:ideas.question"},
    "surveys:results": _step("questionnaire"),
    "surveys:export": {**_step("questionnaire"), "fmt": "csv"},
    "aid:post": {"pk": "pk:aid.helppost"},
    "aid:write": {"pk": "pk:aid.helppost"},
    "aid:close": {"pk": "pk:aid.helppost"},
    "aid:conversation": {"pk": "pk:aid.conversation"},
    "aid:export": {"fmt": "csv"},
    "debate:section": {"pk": "pk:debate.textsection"},
    "debate:contribute": {"pk": "pk:debate.textsection"},
    "debate:synthesis": {"pk": "pk:debate.textsection"},
    "debate:vote": {"pk": "pk:debate.contribution"},
    "debate:argue": {"pk": "pk:debate.contribution"},
    "debate:support": {"pk": "pk:debate.argument"},
    "debate:export": {**_step("consultation"), "fmt": "csv"},
    "site-staff:page": {"pk": "pk:participation.page"},
    "site-staff:news": {"pk": "pk:participation.newspost"},
    "site-staff:event": {"pk": "pk:participation.event"},
    "site-staff:registrations": {"pk": "pk:participation.event"},
    "site-staff:project": {"pk": "pk:participation.project"},
    "site-staff:moderate": {"ct": "ct:ideas.proposal", "pk": "pk:ideas.proposal"},
    "site-staff:unban": {"user_pk": "pk:accounts.user"},
    "crm:contact": {"pk": "pk:crm.contact"},
    "crm:contact-export": {"pk": "pk:crm.contact"},
    "crm:contact-erase": {"pk": "pk:crm.contact"},
    "crm:contact-opt-out": {"pk": "pk:crm.contact"},
    "crm:contact-edit": {"pk": "pk:crm.contact"},
    "crm:contact-note": {"pk": "pk:crm.contact"},
    "crm:import": {"pk": "pk:crm.importjob"},
    "crm:import-progress": {"pk": "pk:crm.importjob"},
    "crm:import-report": {"pk": "pk:crm.importjob"},
    "crm:segment-export": {"pk": "pk:crm.segment"},
    "crm:segment-delete": {"pk": "pk:crm.segment"},
    "field:action": {"pk": "pk:field.action"},
    "field:turf-printable": {"pk": "pk:field.turf"},
    "field:review-batch": {"pk": "pk:field.reviewbatch"},
    "messaging:unsubscribe": {"token": "secret:unsubscribe"},
    "messaging:message": {"pk": "pk:messaging.message"},
    "messaging:message-progress": {"pk": "pk:messaging.message"},
    "dashboard-csv": {"name": "results"},
    "password_reset_confirm": {"uidb64": "secret:reset-uid", "token": "secret:reset-token"},
}

_PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Operation:
    name: str  # url name, or "api <path>" for API operations
    template: str  # "/equipe/contacts/{pk}/"
    methods: tuple
    params: dict  # parameter -> source
    api: bool = False

    def path(self, values):
        return self.template.format(**values)


_NOT_ENDPOINTS = {"schema", "api-docs", "api-root"}


def _walk(patterns, prefix="", ns=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns + (f"{p.namespace}:" if p.namespace else ""))
        else:
            yield prefix + str(p.pattern), ns + (p.name or "")


def api_schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator(urlconf="config.urls_tenant").get_schema(request=None, public=True)


def api_queryset(path):
    """The queryset whose ids an API path's {id} names (the view's own `queryset`)."""
    match = resolve(path.replace("{id}", "1"), urlconf="config.urls_tenant")
    cls = match.func.cls
    if getattr(cls, "queryset", None) is not None:
        return cls.queryset.all()
    return cls.serializer_class.Meta.model._default_manager.all()


def operations(schema=None):
    """(API operations from the schema, other routes) as Operation lists."""
    schema = schema or api_schema()
    api, api_paths = [], set()
    for path, ops in schema["paths"].items():
        methods = tuple(m.upper() for m in ops if m in {"get", "post", "put", "patch", "delete"})
        params = {"id": f"api:{path}"} if "{id}" in path else {}
        api.append(Operation(f"api {path}", path, methods, params, api=True))
        api_paths.add(path)
    pages = []
    for route, name in _walk(get_resolver("config.urls_tenant").url_patterns):
        if route.startswith(("admin/", "api/")) or "(?P<format>" in route or "drf_format_suffix" in route:
            continue
        template = "/" + _PARAM.sub(lambda m: "{" + m.group("name") + "}", route)
        if template in api_paths:
            continue
        names = [m.group("name") for m in _PARAM.finditer(route)]
        params = ROUTE_PARAMS.get(name, dict.fromkeys(names))
        pages.append(Operation(name, template, ("GET", "POST"), params))
    # Plain Django views under /api/ that the schema does not list (the live map's feeds...).
    for route, name in _walk(get_resolver("config.urls_tenant").url_patterns):
        template = "/" + _PARAM.sub(lambda m: "{" + m.group("name") + "}", route)
        plain = "^" not in route and "(?P" not in route and "drf_format_suffix" not in route
        if route.startswith("api/") and plain and template not in api_paths and name not in _NOT_ENDPOINTS:
            pages.append(Operation(name, template, ("GET",), {}))
    return api, pages
