"""Wire format and HTTP of the fake LimeSurvey 6.4.2 RemoteControl 2 endpoint.

Wire format (``rpc/*.response.json``): ``{"id":<request id>,"result":…,"error":null}`` in PHP
``json_encode`` form (no spaces, ``/`` as ``\\/``, non-ASCII as ``\\uXXXX``, an empty or
``0..n-1``-keyed PHP array as a JSON list), content type ``application/json``; a returned export
is written as ``{"id":1, "result":"<base64>", "error":null}`` (with spaces, rpc/102). Errors are
status objects ``{"status": "…"}`` with HTTP 200 (README of the recordings); an unknown method or
too few parameters gives HTTP 500 with LimeSurvey's HTML error page (rpc/004).

- :class:`JsonRpcEndpoint`: one HTTP request body in, one :class:`Reply` out (the JSON-RPC
  envelope, the method table, injected faults); the fake's state and methods come from
  :mod:`.state` and :mod:`.methods`.
- :class:`LimeSurveyServer`: serves a fake over real HTTP on ``127.0.0.1`` (OS-chosen port).
"""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from tests.limesurvey_server.methods import FakeLimeSurvey

RPC_PATH = "/index.php/admin/remotecontrol"
HTML = "text/html; charset=UTF-8"
"""Content type of LimeSurvey's HTML pages (rpc/004 in INDEX.json)."""


# --------------------------------------------------------------------------- PHP json_encode
def _php_array(value: Any) -> Any:
    """A value as PHP holds it after ``json_decode(…, true)``-style array building: a dict that
    is empty or keyed ``0..n-1`` is a PHP list and encodes as a JSON list (rpc/017 ``[]``)."""
    if isinstance(value, dict):
        keys = [str(k) for k in value]
        if keys == [str(i) for i in range(len(keys))]:
            return [_php_array(v) for v in value.values()]
        return {str(k): _php_array(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_php_array(v) for v in value]
    return value


def php_json(value: Any) -> str:
    """PHP ``json_encode`` with default flags: compact, ``\\/``, ``\\uXXXX`` (rpc/009, rpc/020)."""
    return json.dumps(_php_array(value), ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def _html_escape(text: str) -> str:
    """PHP ``htmlspecialchars(…, ENT_QUOTES)`` as Yii's ``CHtml::encode`` uses it."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#039;"))


def _php_int(value: Any) -> int:
    """PHP ``(int)`` cast: ``"246810"`` -> 246810, ``"abc"`` -> 0 (rpc/149)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return int(value)
    match = re.match(r"\s*([+-]?\d+)", str(value)) if value is not None else None
    return int(match.group(1)) if match else 0


# --------------------------------------------------------------------------- replies
@dataclass
class Reply:
    """One HTTP reply. ``mode`` ``"send"`` sends it whole; ``"timeout"`` sends nothing, waits
    ``FakeLimeSurvey.timeout_sleep`` seconds and closes; ``"drop"`` sends the status line, the
    headers (with the full Content-Length) and half the body, then closes the socket."""

    status: int
    content_type: str
    body: bytes
    mode: str = "send"


class _BigData(str):
    """A base64 export string: LimeSurvey streams it, so the envelope has spaces (rpc/102)."""


class _RpcError(Exception):
    """A PHP exception caught by the JSON-RPC server: ``"result":null,"error":"…"`` (rpc/016)."""


class _Http500(Exception):
    """A PHP error the JSON-RPC server does not catch: HTTP 500 error page (rpc/004)."""


def error_page(message: str) -> bytes:
    """LimeSurvey's HTML error page (rpc/004) with ``message`` in its heading."""
    return (_ERROR_PAGE_HEAD + " " * 40 + _html_escape(message) + "\n" + _ERROR_PAGE_TAIL).encode("utf-8")


class _Missing:
    """A parameter the request left out (PHP then uses the declared default)."""

    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


# --------------------------------------------------------------------------- JSON-RPC endpoint
class JsonRpcEndpoint:
    """The HTTP and JSON-RPC layer of :class:`~tests.limesurvey_server.methods.FakeLimeSurvey`.

    It needs, from the class it is mixed into: ``_methods`` (method name -> implementation,
    parameters required, parameters declared), the flags ``not_limesurvey`` and ``rpc_enabled``,
    and from :class:`~tests.limesurvey_server.state.LimeSurveyState` the lock, ``calls``, the
    active session keys and the injected faults.
    """

    _methods: dict[str, tuple[Callable[..., Any], int, int]]

    def handle(self, path: str, body: bytes) -> Reply:
        """The reply of the endpoint to an HTTP POST of ``body`` to ``path``."""
        if self.not_limesurvey:
            return Reply(200, "text/html", _OTHER_SITE_PAGE)
        if path.split("?", 1)[0] != RPC_PATH:
            return Reply(404, HTML, error_page(f'Unable to resolve the request "{path.lstrip("/")}".'))
        try:
            request = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            request = None
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            if not self.rpc_enabled:
                return Reply(200, HTML, b"")
            return Reply(500, HTML, error_page("Trying to access array offset on value of type null"))
        method: str = request["method"]
        params = request.get("params")
        params = list(params.values()) if isinstance(params, dict) else list(params or [])
        with self._lock:
            self.calls.append((method, self._recorded_params(method, params)))
            if not self.rpc_enabled:  # LimeSurvey with RPC off answers nothing (citric: RPCInterfaceNotEnabledError)
                return Reply(200, HTML, b"")
            kind = self._take_fault(method, params)
            if kind == "expire":
                self._active.discard(params[0])
            if kind == "http500":
                return Reply(500, HTML, error_page("CDbConnection failed to open the DB connection."))
            if kind == "timeout":
                return Reply(200, "application/json", b"", mode="timeout")
            reply = self._call(request.get("id"), method, params)
        if kind == "drop":
            reply.mode = "drop"
        elif kind == "invalid_json":
            reply = Reply(200, HTML, _PHP_WARNING + reply.body)
        return reply

    def _call(self, request_id: Any, method: str, params: list) -> Reply:
        """Run one JSON-RPC method: jsonRPCServer of LimeSurvey 6.4.2 (rpc/001-177)."""
        entry = self._methods.get(method)
        if entry is None:  # rpc/004
            message = (f"call_user_func_array(): Argument #1 ($callback) must be a valid callback, class "
                       f'remotecontrol_handle does not have a method "{method}"')
            return Reply(500, HTML, error_page(message))
        function, required, declared = entry
        if len(params) < required:
            bound = "exactly" if required == declared else "at least"
            message = (f"Too few arguments to function remotecontrol_handle::{method}(), {len(params)} passed "
                       f"and {bound} {required} expected")
            return Reply(500, HTML, error_page(message))
        args = params[:declared] + [_MISSING] * (declared - len(params))
        try:
            result = function(*args)
        except _RpcError as exc:  # rpc/016
            return self._json_reply(f'{{"id":{php_json(request_id)},"result":null,"error":{php_json(str(exc))}}}')
        if isinstance(result, _BigData):  # rpc/102: the export is streamed, with spaces
            return self._json_reply(f'{{"id":{php_json(request_id)}, "result":"{result}", "error":null}}')
        return self._json_reply(f'{{"id":{php_json(request_id)},"result":{php_json(result)},"error":null}}')

    @staticmethod
    def _json_reply(text: str) -> Reply:
        return Reply(200, "application/json", text.encode("ascii"))


# --------------------------------------------------------------------------- HTTP server
class _Handler(BaseHTTPRequestHandler):
    """One connection to the fake; HTTP/1.1 with keep-alive like Apache/PHP."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once: no 40 ms delayed-ACK stall per call
    server: _HTTPServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            reply = self.server.fake.handle(self.path, body)
        except Exception as exc:  # noqa: BLE001 - a bug in the fake: show it, answer like a PHP fatal error
            traceback.print_exc()
            reply = Reply(500, HTML, error_page(f"{type(exc).__name__}: {exc}"))
        self._send(reply)

    def do_GET(self) -> None:
        fake = self.server.fake
        if fake.not_limesurvey:
            self._send(Reply(200, "text/html", _OTHER_SITE_PAGE))
        else:  # a browser visit of the endpoint: no JSON-RPC request, no answer
            self._send(Reply(200, HTML, b""))

    def _send(self, reply: Reply) -> None:
        if reply.mode == "timeout":
            self.server.stopping.wait(self.server.fake.timeout_sleep)
            self.close_connection = True
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        if reply.mode == "drop":
            self.send_header("Connection", "close")
        self.end_headers()
        if reply.mode == "drop":
            self.wfile.write(reply.body[: len(reply.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read :attr:`FakeLimeSurvey.calls` instead of a log."""


class _HTTPServer(ThreadingHTTPServer):
    """Threading server that knows its open connections, so it can close them on stop."""

    daemon_threads = True

    def __init__(self, fake: FakeLimeSurvey) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Connections the client or :meth:`LimeSurveyServer.stop` closed are not errors."""
        if self.stopping.is_set() or isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class LimeSurveyServer:
    """ThreadingHTTPServer on 127.0.0.1 with an OS-chosen port, serving a :class:`FakeLimeSurvey`
    in a daemon thread. ``with LimeSurveyServer(fake) as server: server.url``, where ``url`` is
    ``http://127.0.0.1:<port>/index.php/admin/remotecontrol``. Leaving the block stops the
    server, closes open connections (also one waiting in a ``"timeout"`` fault) and joins the
    threads."""

    def __init__(self, fake: FakeLimeSurvey) -> None:
        self.fake = fake
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server is not running; use it as a context manager or call start()")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{RPC_PATH}"

    def start(self) -> Self:
        if self._httpd is None:
            self._httpd = _HTTPServer(self.fake)
            self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="fake-limesurvey", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        httpd.stopping.set()
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()  # joins the connection threads
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


# --------------------------------------------------------------------------- canned pages
_PHP_WARNING = (b"<br />\n<b>Warning</b>:  Undefined array key \"HTTP_ACCEPT_LANGUAGE\" in "
                b"<b>/var/www/limesurvey/application/core/LSYii_Application.php</b> on line <b>482</b><br />\n")
"""A PHP warning printed before the JSON: what makes a LimeSurvey answer invalid JSON."""

_OTHER_SITE_PAGE = (b"<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n"
                    b"<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully "
                    b"installed and working. Further configuration is required.</p>\n</body>\n</html>\n")
"""An ordinary web page, for a URL that does not point at LimeSurvey (``not_limesurvey``)."""

# LimeSurvey 6.4.2's HTML error page, byte for byte as in rpc/004 around the message line.
_ERROR_PAGE_HEAD = (
    '\n'
    '\n'
    '<!DOCTYPE html>\n'
    '<html lang="en" dir="ltr"\n'
    '      class="en dir-ltr  no-js " \n'
    '      xmlns="http://www.w3.org/1999/html">\n'
    '\n'
    '<head>\n'
    '    <meta http-equiv="content-type" content="text/html; charset=UTF-8"/>\n'
    '    <meta http-equiv="X-UA-Compatible" content="IE=edge"/>\n'
    '    <meta name="viewport" content="width=device-width, initial-scale=1.0"/>\n'
    '\n'
    '    <meta name="viewport" content="width=device-width, initial-scale=1.0" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/847a0a80/jquery-ui.min.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/840b47ae/css/font-awesome.min.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/928a21ae/ibm-sans.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/667d9389/ibm-serif.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/3108b95f/remixicon.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/3e4e38f5/build/tempus-dominus.min.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/c65bc571/roboto.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/c65bc571/icomoon.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/bbfad9a1/css/select2.min.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/a2516b91/select2-bootstrap-5-theme.min.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/e0f62f21/build/lstutorial.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/6b776345/css/sea_green.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/f82d1da1/build.min/css/adminsidepanel.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/39e08310/build/embeddables.min.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/e3b6b071/css/variations/theme_apple.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/e3b6b071/css/base.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/e3b6b071/css/custom.css" />\n'
    '<script type=\'text/javascript\'>window.debugState = {frontend : (0 === 1), backend : (0 === 1)};</script><script type="text/javascript" src="/tmp/assets/bc787b1a/jquery.min.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/b8c43dc7/jquery-migrate.min.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/847a0a80/jquery-ui.min.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/f82d1da1/build.min/js/adminsidepanel.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/92d48cd9/js.cookie.min.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/d5e67f1f/moment-with-locales.min.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/3e4e38f5/build/popper-tempus.min.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/3e4e38f5/datepickerInit.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/743cf80b/build/lslog.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/777e5294/min/pjax.combined.min.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/bbfad9a1/js/select2.full.min.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/915434a7/ckeditor.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/915434a7/config.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/6c4836be/ckeditoradditions.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/71740612/js/bootstrap_5.min.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/4ebb0464/em_javascript.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/777e5294/pjax.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/e3b6b071/scripts/theme.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/e3b6b071/scripts/custom.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript">\n'
    '/*<![CDATA[*/\n'
    '\n'
    '           window.LS = window.LS || {}; window.LS.globalUserId = "";\n'
    '/*]]>*/\n'
    '</script>\n'
    '<title>\n'
    '                    500: Internal Server Error\n'
    '            </title>\n'
    '\n'
    '    <meta name="generator" content="LimeSurvey http://www.limesurvey.org"/>\n'
    '            <link rel="shortcut icon" href="/tmp/assets/7605fd9c/favicon.ico"/>\n'
    '    </head>\n'
    '\n'
    '<body class="error-page fruity_twentythree lang-en " marginwidth="0"\n'
    '      marginheight="0" ><script type="text/javascript" src="/tmp/assets/60b97c99/build/adminbasics.min.js"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/452e126/js/modaleditor.js"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/c472dfbf/decimal.js"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/382d9498/decimalcustom.js"></script>\n'
    '<script type="text/javascript" id="lemscripts">\n'
    '/*<![CDATA[*/\n'
    "var LEMmode='group';\n"
    "var LEMgseq='';\n"
    'ExprMgr_process_relevance_and_tailoring = function(evt_type,sgqa,type){\n'
    "if (typeof LEM_initialized == 'undefined') {\n"
    'LEM_initialized=true;\n'
    'LEMsetTabIndexes();\n'
    '}\n'
    "if (evt_type == 'onchange' && (typeof last_sgqa !== 'undefined' && sgqa==last_sgqa) && (typeof last_evt_type !== 'undefined' && last_evt_type == 'TAB' && type != 'checkbox')) {\n"
    "  last_evt_type='onchange';\n"
    '  last_sgqa=sgqa;\n'
    '  return;\n'
    '}\n'
    "if (evt_type == 'updated'  && (typeof last_sgqa !== 'undefined' && sgqa==last_sgqa)) {\n"
    "  last_evt_type='updated';\n"
    '  last_sgqa=sgqa;\n'
    '  return;\n'
    '}\n'
    'last_evt_type = evt_type;\n'
    'last_sgqa=sgqa;\n'
    '\n'
    '}\n'
    '\n'
    '/*]]>*/\n'
    '</script>\n'
    '\n'
    '    <div class="container m-auto ">\n'
    '        <div class="row align-items-center">\n'
    '            <div class="col">\n'
    '                <h2 class="error-title">\n'
    '                                            500: Internal Server Error\n'
)
_ERROR_PAGE_TAIL = (
    '                </h2>\n'
    '                <div class="error-content">An internal error occurred while the Web server was processing your request.</div>\n'
    '                                    Please contact Your Name to report this problem.\n'
    '                                            </div>\n'
    '            <div class="col d-flex">\n'
    '                              <img class="m-auto" src="/tmp/assets/7605fd9c/error.png" alt="Survey Error" />\n'
    '                          </div>      \n'
    '        </div>\n'
    '    </div>\n'
    '    \n'
    '<script type="text/javascript" src="/tmp/assets/e0f62f21/build/lstutorial.min.js"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/39e08310/build/embeddables.min.js"></script>\n'
    '<script type="text/javascript">\n'
    '/*<![CDATA[*/\n'
    '\n'
    '            try{ \n'
    '                triggerEmClassChange(); \n'
    '            } catch(e) {\n'
    "                console.ls.warn('triggerEmClassChange could not be run. Is survey.js/old_template_core_pre.js correctly loaded?');\n"
    '            }\n'
    '\n'
    'triggerEmRelevance();\n'
    "jQuery(document).off('pjax:scriptcomplete.mainBottom').on('ready pjax:scriptcomplete.mainBottom', function() {\n"
    'updateMandatoryErrorClass();\n'
    '});\n'
    '/*]]>*/\n'
    '</script>\n'
    '</body>\n'
    '</html>\n'
)
