"""The optional online geocoder, through `requests` against a fake batch endpoint on 127.0.0.1."""

import csv
import io
import threading
from email.parser import BytesParser
from email.policy import default
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django_tenants.utils import tenant_context

from crm.models import Contact
from tests.crm.test_import import do_import, write_csv

KNOWN = {"8 rue de la paix": ("1.9000", "47.9000", "0.93"), "3 impasse douteuse": ("1.0", "47.0", "0.2")}


class FakeBatchGeocoder(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
        parts = [(p.get_param("name", header="content-disposition"), p.get_payload(decode=True))
                 for p in BytesParser(policy=default).parsebytes(head + body).iter_parts()]  # fmt: skip
        assert self.path == "/search/csv/"
        assert [v for n, v in parts if n == "columns"] == [b"adresse", b"ville"]
        assert dict(parts)["postcode"] == b"code_postal"
        rows = list(csv.DictReader(io.StringIO(dict(parts)["data"].decode("utf-8"))))
        FakeBatchGeocoder.received.extend(rows)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["id", "adresse", "code_postal", "ville", "latitude", "longitude", "result_score"])
        for row in rows:
            lon, lat, score = KNOWN.get(row["adresse"].lower(), ("", "", ""))
            writer.writerow([row["id"], row["adresse"], row["code_postal"], row["ville"], lat, lon, score])
        reply = out.getvalue().encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_geocoder(settings):
    server = HTTPServer(("127.0.0.1", 0), FakeBatchGeocoder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.GEOCODER_ONLINE_URL = f"http://127.0.0.1:{server.server_port}"
    FakeBatchGeocoder.received = []
    yield FakeBatchGeocoder
    server.shutdown()


def test_online_geocoder_locates_confident_matches_and_sends_no_names(shared_campaign, db, fake_geocoder, tmp_path):
    header = ["Nom", "Prénom", "Adresse", "Code postal", "Ville"]
    rows = [
        ["Paix", "Irène", "8 rue de la Paix", "45000", "Orléans"],
        ["Doute", "Hugo", "3 impasse douteuse", "45000", "Orléans"],
    ]
    job = do_import(shared_campaign, write_csv(tmp_path / "x.csv", rows, header=header))
    assert job.located_count == 1
    with tenant_context(shared_campaign):
        address = Contact.objects.get(first_names="Irène").household.address
        assert address.geocoded_by == "api-adresse" and address.point.coords == pytest.approx((1.9, 47.9))
        assert Contact.objects.get(first_names="Hugo").household.address.point is None  # score too low
    sent = " ".join(" ".join(r.values()) for r in fake_geocoder.received)
    assert "Irène" not in sent and "Paix" in sent
