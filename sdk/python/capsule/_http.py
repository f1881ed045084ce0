"""HTTP for Python tasks through the host: ``http.client`` and ``urllib.request`` work unchanged.

CPython on WASI has no usable sockets and no ``ssl``, so ``http.client.HTTPConnection`` and
``HTTPSConnection`` are replaced by connections that hand each request to the host (the ``http``
request of the host channel). The host checks ``allowed_hosts``, does TLS, follows redirects,
applies the task's timeout and records the request in ``host_requests``. A request the host cannot
make raises a :class:`NetworkError` (an ``OSError``; ``urllib.request`` wraps it in ``URLError``).

The replacement happens when ``http.client`` / ``urllib.request`` is imported (an import hook), or
at once for modules imported earlier, so tasks that never use HTTP pay nothing for it.
"""

import base64
import errno
import io
import sys

__all__ = [
    "NetworkError",
    "HostDeniedError",
    "ConnectionFailedError",
    "RequestTimeoutError",
    "exchange",
    "install",
]


class NetworkError(OSError):
    """The host could not make a request; ``type`` says why (``host_denied``, ``timeout``, …)."""

    default_errno = errno.EIO

    def __init__(self, kind, message):
        super().__init__(self.default_errno, message)
        self.type = kind


class HostDeniedError(NetworkError, PermissionError):
    """The host (or a redirect's host) is not in the task's ``allowed_hosts``; nothing was sent."""

    default_errno = errno.EACCES


class ConnectionFailedError(NetworkError, ConnectionRefusedError):
    """The connection was refused or the host was unreachable."""

    default_errno = errno.ECONNREFUSED


class RequestTimeoutError(NetworkError, TimeoutError):
    """No complete response within the request's (or the task's) timeout."""

    default_errno = errno.ETIMEDOUT


_ERRORS = {
    "host_denied": HostDeniedError,
    "connection_failed": ConnectionFailedError,
    "timeout": RequestTimeoutError,
}


def _redacted(url):
    """The URL as host_requests records it: no query, fragment or user:password@ (secrets)."""
    url = str(url).split("#", 1)[0].split("?", 1)[0]
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    return scheme + sep + authority.rpartition("@")[2] + slash + path


def exchange(method, url, headers=(), body=None, timeout=None):
    """Makes one request through the host.

    ``headers`` is a list of (name, value) pairs or a dict, ``body`` bytes or text, ``timeout``
    seconds. Returns ``(status, url, [(name, value)…], body bytes)`` for any HTTP status; raises
    :class:`NetworkError` when there is no response.
    """
    import capsule

    request = {"method": method, "url": url, "headers": _header_document(headers)}
    if body:
        _put_body(request, body)
    if isinstance(timeout, (int, float)) and timeout > 0:
        request["timeout_ms"] = max(1, int(timeout * 1000))
    answer = capsule._host("http", request)
    error = answer.get("error") if isinstance(answer, dict) else None
    if error is not None or not isinstance(answer, dict):
        error = error or {"type": "network_error", "message": "no answer from the host"}
        kind = error.get("type", "network_error")
        where = f"({method} {_redacted(url)})"
        raise _ERRORS.get(kind, NetworkError)(kind, f"{error.get('message')} {where}")
    if "body_base64" in answer:
        content = base64.b64decode(answer["body_base64"])
    else:
        content = answer.get("body", "").encode("utf-8")
    return answer["status"], answer.get("url", url), list(answer.get("headers", {}).items()), content


def _header_document(headers):
    pairs = headers.items() if hasattr(headers, "items") else headers
    document = {}
    for name, value in pairs:
        value = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        name = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        if name in document:
            previous = document[name]
            document[name] = (previous if isinstance(previous, list) else [previous]) + [value]
        else:
            document[name] = value
    return document


def _put_body(request, body):
    if isinstance(body, str):
        request["body"] = body
        return
    data = bytes(body)
    try:
        request["body"] = data.decode("utf-8")
    except UnicodeDecodeError:
        request["body_base64"] = base64.b64encode(data).decode("ascii")


class _Capture:
    """Stands in for the socket: collects what ``http.client`` sends, serves the host's answer."""

    def __init__(self):
        self.sent = bytearray()
        self.answer = None

    def sendall(self, data):
        self.sent += data

    def makefile(self, mode="rb", *args, **kwargs):
        return io.BytesIO(self.answer or b"")

    def settimeout(self, timeout):
        pass

    def close(self):
        pass


def _split_request(raw):
    """(method, target, [(name, value)…], body) of one serialized HTTP/1.1 request."""
    head, _, body = bytes(raw).partition(b"\r\n\r\n")
    lines = head.decode("iso-8859-1").split("\r\n")
    method, target = lines[0].split(" ")[:2]
    headers = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            headers[-1] = (headers[-1][0], headers[-1][1] + " " + line.strip())
        elif line:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
    chunked = any(n.lower() == "transfer-encoding" and "chunked" in v.lower() for n, v in headers)
    return method, target, headers, _dechunk(body) if chunked else body


def _dechunk(body):
    out, rest = bytearray(), body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            break
        out += rest[:size]
        rest = rest[size + 2:]
    return bytes(out)


def _serialize_response(status, headers, body):
    """The raw HTTP/1.1 response ``http.client.HTTPResponse`` parses (framing headers redone)."""
    import http

    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    lines = [f"HTTP/1.1 {status} {reason}"]
    for name, value in headers:
        if name.lower() in ("content-length", "transfer-encoding", "connection", "keep-alive"):
            continue
        clean = str(value).replace("\r", " ").replace("\n", " ")
        lines.append(f"{'-'.join(p.capitalize() for p in name.split('-'))}: {clean}")
    lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("iso-8859-1", "replace")
    return head + body


class _NoTlsContext:
    """What ``ssl`` contexts stand for here: the host does TLS with its own trust store."""

    check_hostname = True
    verify_mode = None

    def set_alpn_protocols(self, protocols):
        pass


def _connection_classes(client):
    """``HTTPConnection`` and ``HTTPSConnection`` classes over the host, based on ``client``'s."""

    class HTTPConnection(client.HTTPConnection):
        """``http.client.HTTPConnection`` whose requests go through the Capsule host."""

        _scheme = "http"

        def connect(self):
            sys.audit("http.client.connect", self, self.host, self.port)
            self.sock = _Capture()

        def request(self, method, url, body=None, headers={}, *, encode_chunked=False):
            super().request(method, url, body, headers, encode_chunked=encode_chunked)
            self._exchange()  # so urllib.request sees a refusal as URLError, as for a socket

        def getresponse(self):
            self._exchange()
            return super().getresponse()

        def _exchange(self):
            sock = self.sock
            if not isinstance(sock, _Capture) or sock.answer is not None or not sock.sent:
                return
            method, target, headers, body = _split_request(sock.sent)
            try:
                status, _, answer_headers, content = exchange(
                    method, self._url(target), headers, body, self.timeout
                )
            except OSError:
                self.close()
                raise
            sock.answer = _serialize_response(status, answer_headers, content)

        def _url(self, target):
            if target.startswith(("http://", "https://")):
                return target
            host = f"[{self.host}]" if ":" in self.host else self.host
            port = "" if self.port == self.default_port else f":{self.port}"
            return f"{self._scheme}://{host}{port}{target}"

    class HTTPSConnection(HTTPConnection):
        """``http.client.HTTPSConnection`` whose requests (and TLS) go through the Capsule host."""

        _scheme = "https"
        default_port = client.HTTPS_PORT

        def __init__(self, host, port=None, *args, context=None, **kwargs):
            for dropped in ("key_file", "cert_file", "check_hostname"):
                kwargs.pop(dropped, None)
            super().__init__(host, port, *args, **kwargs)
            self._context = context

    return HTTPConnection, HTTPSConnection


def _patch_http_client(client):
    if getattr(client, "_capsule_patched", False):
        return
    client._capsule_original_connection = client.HTTPConnection
    client.HTTPConnection, client.HTTPSConnection = _connection_classes(client)
    if "HTTPSConnection" not in client.__all__:
        client.__all__.append("HTTPSConnection")
    try:
        import ssl  # noqa: F401  (a build with ssl keeps its contexts; they are not used)
    except ImportError:
        client._create_https_context = lambda http_version: _NoTlsContext()
    client._capsule_patched = True


def _patch_urllib_request(request):
    """``urllib.request`` imported before ``http.client`` was patched lacks ``HTTPSHandler``."""
    if hasattr(request, "HTTPSHandler"):
        return
    import http.client

    class HTTPSHandler(request.AbstractHTTPHandler):
        def __init__(self, debuglevel=None, context=None, check_hostname=None):
            request.AbstractHTTPHandler.__init__(self, debuglevel or 0)
            self._context = context

        def https_open(self, req):
            return self.do_open(http.client.HTTPSConnection, req, context=self._context)

        https_request = request.AbstractHTTPHandler.do_request_

    request.HTTPSHandler = HTTPSHandler
    request._opener = None


_PATCHES = {"http.client": _patch_http_client, "urllib.request": _patch_urllib_request}


class _PatchingLoader:
    """Runs a module's own loader, then patches the module."""

    def __init__(self, loader, patch):
        self._loader = loader
        self._patch = patch

    def create_module(self, spec):
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create else None

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._patch(module)

    def __getattr__(self, name):
        return getattr(self._loader, name)


class _PatchOnImport:
    """A ``sys.meta_path`` finder that wraps the loaders of the modules to patch."""

    def find_spec(self, fullname, path=None, target=None):
        patch = _PATCHES.get(fullname)
        if patch is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _PatchingLoader(spec.loader, patch)
                return spec
        return None


def install():
    """Routes ``http.client`` and ``urllib.request`` through the host (idempotent)."""
    if not any(isinstance(finder, _PatchOnImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _PatchOnImport())
    for name in ("http.client", "urllib.request"):  # this order: urllib needs the patched client
        module = sys.modules.get(name)
        if module is not None:
            _PATCHES[name](module)
