"""What every benchmark script shares: the BENCH line and a free local port."""

import socket
import uuid


def report(name, value, unit, baseline):
    print(f"BENCH {name} {value:.3f} {unit} baseline={baseline:.3f} ratio={value / baseline:.3f}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_campaign(prefix, name):
    """A fresh campaign for one benchmark run: (slug, campaign)."""
    from campaigns.models import Campaign
    from campaigns.provisioning import create_campaign

    slug = f"bench-{prefix}-{uuid.uuid4().hex[:6]}"
    create_campaign(slug=slug, name=name, actor="bench")
    return slug, Campaign.objects.get(schema_name=slug)


def drop_campaign(slug):
    """Delete the benchmark's campaign, whatever schema the connection was left in."""
    from django.db import connection

    from campaigns.models import Campaign
    from campaigns.provisioning import delete_campaign

    connection.set_schema_to_public()
    delete_campaign(Campaign.objects.get(schema_name=slug), actor="bench")
