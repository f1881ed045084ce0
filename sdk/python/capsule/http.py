"""capsule-run's HTTP client API: ``from capsule.http import get, post, put, delete``.

Requests go through the host like ``urllib.request``'s (allowlisted by ``allowed_hosts``, recorded
in ``host_requests``); a request the host cannot make raises ``capsule.http.NetworkError`` (an
``OSError``). Any HTTP status is a :class:`Response`.
"""

import json as _json

from ._http import (
    ConnectionFailedError,
    HostDeniedError,
    NetworkError,
    RequestTimeoutError,
    exchange,
)

__all__ = [
    "Response",
    "NetworkError",
    "HostDeniedError",
    "ConnectionFailedError",
    "RequestTimeoutError",
    "request",
    "get",
    "post",
    "put",
    "delete",
    "patch",
    "head",
]


class _Text(str):
    """The body text; calling it returns it too, for code written as ``response.text()``."""

    def __call__(self):
        return str(self)


class Response:
    """An HTTP response: ``status_code``, ``headers`` (lower-case names), ``text``, ``content``."""

    def __init__(self, status, url, headers, content):
        self.status_code = status
        self.url = url
        self.headers = dict(headers)
        self.content = content
        self.text = _Text(content.decode("utf-8", "replace"))

    def json(self):
        """The body parsed as JSON."""
        return _json.loads(self.text)

    def ok(self):
        """Whether the status is 2xx."""
        return 200 <= self.status_code < 300

    def __repr__(self):
        return f"<Response [{self.status_code}]>"


def request(method, url, body=None, json_data=None, headers=None, timeout=None, json=None):
    """Makes one request; ``json``/``json_data`` is sent as JSON with its content type."""
    headers = dict(headers or {})
    payload = json if json is not None else json_data
    if payload is not None:
        body = _json.dumps(payload)
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = "application/json"
    return Response(*exchange(method.upper(), url, headers, body, timeout))


def get(url, headers=None, timeout=None):
    """GET ``url``."""
    return request("GET", url, headers=headers, timeout=timeout)


def head(url, headers=None, timeout=None):
    """HEAD ``url``."""
    return request("HEAD", url, headers=headers, timeout=timeout)


def delete(url, headers=None, timeout=None):
    """DELETE ``url``."""
    return request("DELETE", url, headers=headers, timeout=timeout)


def post(url, body=None, json_data=None, headers=None, timeout=None, json=None):
    """POST ``body`` (text or bytes) or ``json``/``json_data`` to ``url``."""
    return request("POST", url, body, json_data, headers, timeout, json)


def put(url, body=None, json_data=None, headers=None, timeout=None, json=None):
    """PUT ``body`` or ``json``/``json_data`` to ``url``."""
    return request("PUT", url, body, json_data, headers, timeout, json)


def patch(url, body=None, json_data=None, headers=None, timeout=None, json=None):
    """PATCH ``body`` or ``json``/``json_data`` to ``url``."""
    return request("PATCH", url, body, json_data, headers, timeout, json)
