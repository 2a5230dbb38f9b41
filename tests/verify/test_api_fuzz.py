"""VERIFY api_fuzz: schemathesis against the OpenAPI schema, every operation.

The schema a campaign's host serves at /api/schema/ is loaded from the production-style
server; for each operation schemathesis generates requests from the schema (valid ones,
and invalid ones too), sent with a staff (admin) token and with a citizen's token to a
campaign of its own (it creates and deletes things). Every answer must not be a 5xx,
and an answer the schema describes must match it (body and content type).
"""

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from tests.conftest import Committed, host_of, unique_slug
from tests.verify.recorder import check
from tests.verify.world import build_world

EXAMPLES = 20
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        data = Committed()
        campaign = data.campaign(unique_slug("fuzz"), name="Campagne fuzz", preset="municipal-list").campaign
        world = build_world(campaign, host_of(campaign), index=3)
        yield world
        data.cleanup()


@pytest.mark.slow_verify
@pytest.mark.parametrize("role", ["admin", "citizen"])
def test_every_operation_answers_as_its_schema_says(fuzz_world, production_server, role, unblocked):
    world = fuzz_world
    headers = {"Host": world.host, "X-Forwarded-Proto": "https", "Authorization": f"Token {world.tokens[role]}"}
    raw = requests.get(f"{production_server}/api/schema/?format=json", headers=headers, timeout=30)
    raw.raise_for_status()
    schema = schemathesis.openapi.from_dict(raw.json())
    schema.config.update(base_url=production_server)
    session = requests.Session()
    with check("api_fuzz") as c:
        for result in schema.get_all_operations():
            fuzz(result.ok(), c, session, headers, role)


def fuzz(operation, c, session, headers, role):
    """Up to EXAMPLES requests made from the operation's schema, valid and invalid."""

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
           | operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))  # fmt: skip
    def run(case):
        try:
            response = case.call(session=session, headers=headers, timeout=30)
        except requests.RequestException as exc:
            c.probe(False, f"{operation.label} as {role}: no answer ({exc})")
            return
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except Exception as exc:  # schemathesis groups its failures in one exception
            first = str(exc).strip().splitlines()
            c.probe(False, f"{operation.label} as {role}: {response.status_code} {' | '.join(first[:6])}")
            return
        c.probe(True, operation.label)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # schemathesis reports its failures as a group
        c.probe(False, f"{operation.label} as {role}: {' | '.join(str(exc).strip().splitlines()[:8])}")
