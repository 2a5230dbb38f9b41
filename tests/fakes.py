"""Small fake provider servers on 127.0.0.1 for the real client libraries to talk to.

`FakeProviders` answers SendGrid's `POST /v3/mail/send` and Twilio's
`POST /2010-04-01/Accounts/<sid>/Messages.json`, records every request it fully
received, and answers from a script (`fail_next(429, 500, ...)`), else success. Like
SendGrid, it can post signed "processed" events back to the campaign's webhook for
each recipient of a request it accepted.
"""

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


class SendGridKeys:
    """An ECDSA key pair like SendGrid's Event Webhook: the campaign stores the public
    key (base64 DER, as SendGrid shows it); payloads are signed over timestamp + body."""

    def __init__(self):
        self.private = ec.generate_private_key(ec.SECP256R1())
        der = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public = base64.b64encode(der).decode()

    def headers(self, payload, timestamp=None):
        timestamp = timestamp or str(int(time.time()))
        signature = self.private.sign((timestamp + payload).encode(), ec.ECDSA(hashes.SHA256()))
        return {
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        }


class FakeProviders:
    def __init__(self, delay=0.0):
        self.requests = []  # (path, headers, body: dict or form dict)
        self.script = []
        self.delay = delay
        self.lock = threading.Lock()
        self.webhook = None  # (url, host, SendGridKeys) for "processed" events
        self.on_request = None  # called with (path, body) for each request accepted
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                is_json = "json" in (self.headers.get("Content-Type") or "")
                body = json.loads(raw) if is_json else {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                with fake.lock:
                    status = fake.script.pop(0) if fake.script else None
                    if status is None:
                        fake.requests.append((self.path, dict(self.headers), body))
                if status is None and fake.webhook and self.path == "/v3/mail/send":
                    fake.post_processed(body)
                if status is None and fake.on_request:
                    fake.on_request(self.path, body)
                if fake.delay:
                    time.sleep(fake.delay)
                if status is not None:
                    self.answer(status, {"errors": [{"message": f"scripted {status}"}]}, {"Retry-After": "0"})
                elif self.path == "/v3/mail/send":
                    self.answer(202, None, {"X-Message-Id": uuid.uuid4().hex})
                else:
                    self.answer(201, {"sid": "SM" + uuid.uuid4().hex, "status": "queued"})

            def answer(self, status, data, headers=None):
                payload = json.dumps(data).encode() if data is not None else b""
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # a client that gave up (timeout, killed worker) is expected here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def fail_next(self, *statuses):
        with self.lock:
            self.script.extend(statuses)

    def mail_requests(self):
        with self.lock:
            return [body for path, _headers, body in self.requests if path == "/v3/mail/send"]

    def recipients(self):
        return [p["to"][0]["email"] for body in self.mail_requests() for p in body["personalizations"]]

    def sms_requests(self):
        with self.lock:
            return [body for path, _headers, body in self.requests if path.endswith("/Messages.json")]

    def post_processed(self, body):
        url, host, keys = self.webhook
        events = [
            {"event": "processed", "email": p["to"][0]["email"], "sg_event_id": uuid.uuid4().hex,
             "sg_message_id": uuid.uuid4().hex, "timestamp": int(time.time()), **p.get("custom_args", {})}
            for p in body["personalizations"]
        ]  # fmt: skip
        payload = json.dumps(events)
        requests.post(url, data=payload, headers={"Host": host, "Content-Type": "application/json",
                                                  **keys.headers(payload)}, timeout=30)  # fmt: skip

    def close(self):
        self.server.shutdown()
        self.server.server_close()
