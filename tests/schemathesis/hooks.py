"""Checks of API.md section 11 that Schemathesis has none of, run on every response it gets
(loaded through SCHEMATHESIS_HOOKS by run.sh). Each replays the request that got a
successful answer with one thing changed and checks the service's rule:

- conditional_get: a 200 to a GET carries an ETag; the same request with that ETag in
  If-None-Match is a 304 without a body, unless the answer changed meanwhile (then a 200
  with another ETag).
- unknown_query_parameter: the same request with one more, undeclared, query parameter is a
  400 `not-on-list` naming it, for every operation.
- shaping_include: a 200 to a GET, asked again with `include` naming one of its top-level
  members, answers exactly that member, as it was.

The replays use the request as it was sent (its URL, headers and body), so they carry the
same token and touch the same resource.
"""

import json
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
import schemathesis

TIMEOUT = 10
UNKNOWN = "x-schemathesis-undeclared"


def _replay(response, *, headers=None, query=None):
    """Sends the request behind `response` again, with `headers` added and `query` pairs
    appended to its query string."""
    sent = response.request
    url = sent.url
    if query:
        parts = urlsplit(url)
        pairs = parse_qsl(parts.query, keep_blank_values=True) + list(query)
        url = urlunsplit(parts._replace(query=urlencode(pairs)))
    all_headers = {k: v for k, v in sent.headers.items() if k.lower() != "content-length"}
    all_headers.update(headers or {})
    return requests.request(sent.method, url, headers=all_headers, data=sent.body, timeout=TIMEOUT)


def _header(response, name):
    values = response.headers.get(name.lower())
    return values[0] if values else None


@schemathesis.check
def conditional_get(ctx, response, case):
    if case.method.upper() != "GET" or response.status_code != 200:
        return None
    tag = _header(response, "etag")
    if not tag:
        raise AssertionError("A successful GET must carry an ETag (API.md section 11)")
    again = _replay(response, headers={"If-None-Match": tag})
    if again.status_code == 200 and again.headers.get("etag") not in (None, tag):
        # Another worker changed the data in between (a page gained an event): a changed
        # answer with a new tag is right.
        return None
    if again.status_code != 304:
        raise AssertionError(
            f"If-None-Match with the answer's own ETag {tag} must be 304 while the answer is "
            f"the same, got {again.status_code} with ETag {again.headers.get('etag')}"
        )
    if again.content:
        raise AssertionError("A 304 must have no body")
    if again.headers.get("etag") != tag:
        raise AssertionError("A 304 must repeat the ETag it stands for")
    return None


@schemathesis.check
def unknown_query_parameter(ctx, response, case):
    if not 200 <= response.status_code < 300 or case.method.upper() != "GET":
        # Replaying a successful POST would create a second record; GETs have no effect.
        return None
    again = _replay(response, query=[(UNKNOWN, "1")])
    if again.status_code != 400:
        raise AssertionError(
            f"An undeclared query parameter must be a 400 naming it, got {again.status_code}"
        )
    errors = again.json().get("errors") or []
    if not any(e.get("tag") == UNKNOWN and e.get("error") == "not-on-list" for e in errors):
        raise AssertionError(f"The 400 must name {UNKNOWN} as not-on-list: {errors}")
    return None


@schemathesis.check
def shaping_include(ctx, response, case):
    if case.method.upper() != "GET" or response.status_code != 200:
        return None
    try:
        full = json.loads(response.content)
    except ValueError:
        return None
    if not isinstance(full, dict) or not full:
        return None
    member = sorted(full)[0]
    parts = urlsplit(response.request.url)
    # The request as sent, without its own (empty) shaping, asking for one member.
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("include", "trim")]
    url = urlunsplit(parts._replace(query=urlencode(kept + [("include", member)])))
    headers = {k: v for k, v in response.request.headers.items() if k.lower() != "content-length"}
    again = requests.get(url, headers=headers, timeout=TIMEOUT)
    if again.status_code != 200:
        raise AssertionError(f"include={member} must answer 200, got {again.status_code}")
    shaped = again.json()
    if set(shaped) != {member}:
        raise AssertionError(f"include={member} must answer only {member}, got {sorted(shaped)}")
    return None
