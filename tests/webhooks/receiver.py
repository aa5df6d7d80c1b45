"""A webhook receiver for bankapi's tests: it verifies every delivery with the
`standardwebhooks` package (PyPI), which bankapi's authors did not write, and
misbehaves on purpose according to the path it is called on.

    python receiver.py        prints the port it listens on, then serves

Paths:
    POST /secret/<name>       body: the subscription's secret (before deliveries come)
    POST /hook/<name>         a delivery; <name> chooses the behaviour:
        ok-*                  answers 204
        fail-twice-*          answers 500 to the first two attempts of each webhook-id
        hang-once-*           sleeps 7 s (past bankapi's 5 s) on each id's first attempt
        slow-*                answers 204 after 20 ms (deliveries are in flight at a crash)
    GET  /received/<name>     JSON list of the deliveries received on /hook/<name>:
                              {"id", "timestamp", "verified", "verified_by" (which of
                              the secrets posted for <name> verify it), "body", "attempt"}
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

LOCK = threading.Lock()
SECRETS = {}
RECEIVED = {}
ATTEMPTS = {}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body=b""):
        self.send_response(status)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_GET(self):
        parts = self.path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "received":
            with LOCK:
                body = json.dumps(RECEIVED.get(parts[1], [])).encode()
            return self.answer(200, body)
        self.answer(404)

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        data = self.rfile.read(length)
        parts = self.path.strip("/").split("/")
        if len(parts) != 2:
            return self.answer(404)
        kind, name = parts
        if kind == "secret":
            with LOCK:
                SECRETS.setdefault(name, []).append(data.decode())
            return self.answer(204)
        if kind != "hook":
            return self.answer(404)
        headers = {k.lower(): v for k, v in self.headers.items()}
        webhook_id = headers.get("webhook-id", "")
        with LOCK:
            secrets = list(SECRETS.get(name, []))
        verified_by = []
        for index, secret in enumerate(secrets):
            try:
                Webhook(secret).verify(data, headers)
                verified_by.append(index)
            except Exception:
                pass
        verified = bool(verified_by)
        with LOCK:
            key = (name, webhook_id)
            ATTEMPTS[key] = ATTEMPTS.get(key, 0) + 1
            attempt = ATTEMPTS[key]
        if name.startswith("hang-once") and attempt == 1:
            time.sleep(7)
        if name.startswith("slow"):
            time.sleep(0.02)
        record = {
            "id": webhook_id,
            "timestamp": headers.get("webhook-timestamp"),
            "verified": verified,
            "verified_by": verified_by,
            "body": json.loads(data) if data else None,
            "attempt": attempt,
        }
        with LOCK:
            RECEIVED.setdefault(name, []).append(record)
        if not verified:
            return self.answer(400)
        if name.startswith("fail-twice") and attempt <= 2:
            return self.answer(500)
        self.answer(204)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
