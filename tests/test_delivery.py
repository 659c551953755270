"""Delivery: reports and alerts by e-mail and webhook, against SMTP and HTTP servers on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any, cast

import pytest

from ecoute.core.delivery_settings import SMTP_PASSWORD_ENV, WEBHOOK_URL_ENV, Delivery
from ecoute.core.errors import EcouteError
from ecoute.core.records import Finding
from ecoute.core.settings import parse_settings
from ecoute.delivery import DeliveryError, send_alerts, send_report
from ecoute.reports import ReportPaths

SECRET_PATH = "/services/T000/B000/secret-token"
DIGEST = """# Zelia · 2026-01-01 to 2026-02-25

**1,234** mentions · **12%** negative

## What changed

- **Negative surge**: Zelia: 120 negative mentions on 2026-02-10
   > “carte refusée \\<b\\>encore\\</b\\> & rien” · reddit, 2026-02-10 09:00 · [original post](https://example.org/p/1?a=1&b=2)
"""
HTML = "<!doctype html><html><body><h1>Zelia report</h1></body></html>"
SCRIPT = "<script>alert('x')</script> frais & commissions"


# --- a tiny SMTP server ----------------------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage


class _SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.mails: list[Mail] = []


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Enough SMTP for smtplib: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT. 'nobody@' is refused."""

    def _say(self, *lines: str) -> None:
        self.wfile.write("".join(f"{line}\r\n" for line in lines).encode())

    def handle(self) -> None:
        server = cast(_SMTPServer, self.server)
        self._say("220 127.0.0.1 test SMTP")
        sender, recipients = "", list[str]()
        while raw := self.rfile.readline():
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, argument = line.partition(" ")
            address = argument.partition(":")[2].split(" ")[0].strip("<>")
            match verb.upper():
                case "EHLO":
                    self._say("250-127.0.0.1", "250-8BITMIME", "250 SIZE 50000000")
                case "HELO" | "NOOP":
                    self._say("250 OK")
                case "MAIL":
                    sender, recipients = address, []
                    self._say("250 OK")
                case "RCPT" if address.startswith("nobody@"):
                    self._say("550 5.1.1 no such user")
                case "RCPT":
                    recipients.append(address)
                    self._say("250 OK")
                case "DATA":
                    self._say("354 end with <CR><LF>.<CR><LF>")
                    lines = []
                    while (data := self.rfile.readline()) not in (b".\r\n", b""):
                        lines.append(data[1:] if data.startswith(b".") else data)  # dot-unstuffing
                    message = BytesParser(policy=policy.default).parsebytes(b"".join(lines))
                    server.mails.append(Mail(sender, recipients, cast(EmailMessage, message)))
                    self._say("250 OK queued")
                case "RSET":
                    sender, recipients = "", []
                    self._say("250 OK")
                case "QUIT":
                    self._say("221 bye")
                    return
                case _:
                    self._say("502 command not implemented")


# --- a webhook that records what it was posted -----------------------------------------------


class _WebhookServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, status: int) -> None:
        super().__init__(("127.0.0.1", 0), _WebhookHandler)
        self.status = status
        self.posts: list[dict[str, Any]] = []
        self.paths: list[str] = []


class _WebhookHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        server = cast(_WebhookServer, self.server)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server.posts.append(json.loads(body))
        server.paths.append(self.path)
        answer = b"ok" if server.status == 200 else b"internal_error"
        self.send_response(server.status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


@contextmanager
def _serving(server: socketserver.TCPServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def smtp() -> Iterator[_SMTPServer]:
    server = _SMTPServer()
    with _serving(server):
        yield server


@pytest.fixture
def webhook_at() -> Iterator[Callable[[int], _WebhookServer]]:
    """Start webhooks answering a given status; all are stopped at the end of the test."""
    servers: list[_WebhookServer] = []

    def start(status: int) -> _WebhookServer:
        servers.append(_WebhookServer(status))
        threading.Thread(target=servers[-1].serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return servers[-1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def webhook(webhook_at: Callable[[int], _WebhookServer]) -> _WebhookServer:
    return webhook_at(200)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (SMTP_PASSWORD_ENV, WEBHOOK_URL_ENV, "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def _port(server: socketserver.TCPServer) -> int:
    return int(server.server_address[1])


def _delivery(
    *,
    smtp_port: int | None = None,
    to: tuple[str, ...] = ("marketing@example.com", "support@example.com"),
    webhook: _WebhookServer | None = None,
    alerts: dict[str, Any] | None = None,
) -> Delivery:
    data: dict[str, Any] = {}
    if smtp_port is not None:
        data["email"] = {
            "host": "127.0.0.1",
            "port": smtp_port,
            "starttls": False,
            "from_address": "ecoute <ecoute@example.com>",
            "to": list(to),
            "timeout_seconds": 5,
        }
    if webhook is not None:
        data["webhook"] = {"url": f"http://127.0.0.1:{_port(webhook)}{SECRET_PATH}", "timeout_seconds": 5}
    if alerts is not None:
        data["alerts"] = alerts
    return Delivery.model_validate(data)


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed when we return: nothing listens there


@pytest.fixture
def report(tmp_path: Path) -> ReportPaths:
    paths = ReportPaths(tmp_path / "zelia_2026-01-01_2026-02-25.html", tmp_path / "zelia_2026-01-01_2026-02-25.md")
    paths.html.write_text(HTML, encoding="utf-8")
    paths.markdown.write_text(DIGEST, encoding="utf-8")
    return paths


def _finding(
    kind: str = "negative_surge", *, confidence: float = 0.9, magnitude: float = 6.2, scope: str = "brand"
) -> Finding:
    posts = [
        {
            "mention_id": f"reddit:{i}",
            "source": "reddit",
            "text": SCRIPT if i == 0 else f"post {i}: carte refusée",
            "url": f"https://example.org/p/{i}?a=1&b=2",
            "published_at": "2026-02-10T09:00:00",
        }
        for i in range(5)
    ]
    return Finding(
        kind=kind,
        brand="Zelia",
        scope=scope,
        period_start=date(2026, 2, 10),
        period_end=date(2026, 2, 11),
        observed=120,
        baseline=30,
        magnitude=magnitude,
        confidence=confidence,
        headline="Zelia: 120 negative mentions on 2026-02-10, 4.0x the usual ~30 (fees & <refusals>)",
        evidence={"examples": posts},
    )


# --- reports ---------------------------------------------------------------------------------


def test_report_email_has_the_digest_as_body_and_the_html_attached(smtp: _SMTPServer, report: ReportPaths) -> None:
    """Every recipient gets one e-mail: the Markdown digest as text, the HTML report attached."""
    result = send_report(_delivery(smtp_port=_port(smtp)), "Zelia", report, summary_markdown=DIGEST)

    assert result.ok and result.outcome("email").sent == 1
    [mail] = smtp.mails
    assert mail.recipients == ["marketing@example.com", "support@example.com"]
    assert mail.message["Subject"] == "[ecoute] Zelia · 2026-01-01 to 2026-02-25"
    body = mail.message.get_body(("plain",))
    assert body is not None and body.get_content().replace("\r\n", "\n") == DIGEST
    [attachment] = list(mail.message.iter_attachments())
    assert attachment.get_filename() == report.html.name
    assert attachment.get_content_type() == "text/html"
    assert attachment.get_content() == HTML


def test_emailed_report_carries_plotly_itself(smtp: _SMTPServer, report: ReportPaths) -> None:
    """A page that links the reports folder's plotly.js is attached with it inlined: alone in a
    mailbox, the link would find nothing and the charts would stay blank."""
    asset = report.html.parent / "assets" / "plotly-9.9.9.min.js"
    asset.parent.mkdir()
    asset.write_text("window.Plotly = {};", encoding="utf-8")
    report.html.write_text('<h1>Zelia</h1><script src="assets/plotly-9.9.9.min.js"></script>', encoding="utf-8")

    result = send_report(_delivery(smtp_port=_port(smtp)), "Zelia", report, summary_markdown=DIGEST)

    assert result.ok
    [attachment] = list(smtp.mails[0].message.iter_attachments())
    assert attachment.get_content() == "<h1>Zelia</h1><script>window.Plotly = {};</script>"


def test_webhook_receives_the_digest_as_slack_text(webhook: _WebhookServer, report: ReportPaths) -> None:
    """The digest is posted once, headings bold, links as <url|text>, escapes undone, & < > escaped."""
    result = send_report(_delivery(webhook=webhook), "Zelia", report, summary_markdown=DIGEST)

    assert result.ok and webhook.paths == [SECRET_PATH]
    [post] = webhook.posts
    text = post["text"]
    assert text.startswith("*Zelia · 2026-01-01 to 2026-02-25*\n\n*1,234* mentions")
    assert "• *Negative surge*: Zelia: 120 negative mentions on 2026-02-10" in text
    assert "> “carte refusée &lt;b&gt;encore&lt;/b&gt; &amp; rien”" in text
    assert "<https://example.org/p/1?a=1&amp;b=2|original post>" in text
    assert [b["text"]["text"] for b in post["blocks"]] == [text]


def test_nothing_configured_sends_nothing(report: ReportPaths, tmp_path: Path) -> None:
    """Without [delivery] there are no channels, so no outcomes and no error."""
    assert send_report(Delivery(), "Zelia", report, summary_markdown=DIGEST).outcomes == ()
    assert send_alerts(Delivery(), [_finding()], warehouse=tmp_path / "w.duckdb").outcomes == ()


# --- alerts ----------------------------------------------------------------------------------


def test_alert_above_threshold_is_sent_once(smtp: _SMTPServer, webhook: _WebhookServer, tmp_path: Path) -> None:
    """A strong finding alerts on both channels; running again sends nothing more."""
    settings = _delivery(smtp_port=_port(smtp), webhook=webhook, alerts={"min_confidence": 0.8})
    warehouse = tmp_path / "w.duckdb"

    first = send_alerts(settings, [_finding()], warehouse=warehouse)
    second = send_alerts(settings, [_finding()], warehouse=warehouse)

    assert first.as_dict() == {
        "email": {"sent": 1, "already_sent": 0, "error": None},
        "webhook": {"sent": 1, "already_sent": 0, "error": None},
    }
    assert second.as_dict() == {
        "email": {"sent": 0, "already_sent": 1, "error": None},
        "webhook": {"sent": 0, "already_sent": 1, "error": None},
    }
    assert len(smtp.mails) == 1 and len(webhook.posts) == 1
    body = smtp.mails[0].message.get_body(("plain",))
    assert body is not None
    text = body.get_content().replace("\r\n", "\n")
    assert "Period: 10 to 11 Feb 2026" in text
    assert "Observed: 120\nUsual: 30\nMagnitude: 6.2 (robust z-score)\nConfidence: 90%" in text
    assert text.count("https://example.org/p/") == 3  # three example posts, each with its link


@pytest.mark.parametrize(
    ("finding", "alerts"),
    [
        pytest.param(_finding(confidence=0.5), {"min_confidence": 0.8}, id="not sure enough"),
        pytest.param(_finding(magnitude=-2.0), {"min_magnitude": 3.0}, id="too small, whatever its sign"),
        pytest.param(_finding("emerging_topic"), {"kinds": ["negative_surge"]}, id="kind not alerting"),
    ],
)
def test_findings_below_thresholds_do_not_alert(
    finding: Finding, alerts: dict[str, Any], webhook: _WebhookServer, tmp_path: Path
) -> None:
    """A finding under any threshold sends nothing."""
    result = send_alerts(_delivery(webhook=webhook, alerts=alerts), [finding], warehouse=tmp_path / "w.duckdb")
    assert result.ok and webhook.posts == []


def test_alert_escapes_post_text_for_slack(webhook: _WebhookServer, tmp_path: Path) -> None:
    """<script> and & in a post or headline reach Slack escaped, with at most three example posts."""
    send_alerts(_delivery(webhook=webhook, alerts={}), [_finding()], warehouse=tmp_path / "w.duckdb")

    [post] = webhook.posts
    assert "<script>" not in json.dumps(post) and "<refusals>" not in json.dumps(post)
    assert post["text"] == (
        "Negative surge: Zelia: 120 negative mentions on 2026-02-10, 4.0x the usual ~30 (fees &amp; &lt;refusals&gt;)"
    )
    quotes = post["blocks"][-1]["text"]["text"]
    assert "> &lt;script&gt;alert('x')&lt;/script&gt; frais &amp; commissions" in quotes
    assert quotes.count("|original post>") == 3
    assert "<https://example.org/p/0?a=1&amp;b=2|original post>" in quotes


def test_failed_channel_alerts_again_next_run(
    smtp: _SMTPServer, webhook_at: Callable[[int], _WebhookServer], tmp_path: Path
) -> None:
    """An alert the webhook refused is posted at the next run; the e-mail already sent is not repeated."""
    warehouse, broken, working = tmp_path / "w.duckdb", webhook_at(500), webhook_at(200)

    first = send_alerts(_delivery(smtp_port=_port(smtp), webhook=broken, alerts={}), [_finding()], warehouse=warehouse)
    second = send_alerts(
        _delivery(smtp_port=_port(smtp), webhook=working, alerts={}), [_finding()], warehouse=warehouse
    )

    assert isinstance(first.outcome("webhook").error, DeliveryError)
    assert second.ok and len(smtp.mails) == 1 and len(working.posts) == 1


# --- failures --------------------------------------------------------------------------------


def test_dead_smtp_server_is_a_delivery_error_and_the_webhook_still_posts(
    webhook: _WebhookServer, report: ReportPaths
) -> None:
    """Nothing listening on the SMTP port fails the e-mail channel only, naming host and port."""
    port = _dead_port()
    result = send_report(_delivery(smtp_port=port, webhook=webhook), "Zelia", report, summary_markdown=DIGEST)

    error = result.outcome("email").error
    assert isinstance(error, DeliveryError) and isinstance(error, EcouteError)
    assert f"email via 127.0.0.1:{port}: ConnectionRefusedError" in str(error)
    assert len(webhook.posts) == 1 and result.outcome("webhook").error is None
    with pytest.raises(DeliveryError, match="ConnectionRefusedError"):
        result.raise_for_errors()


def test_refused_recipient_is_a_delivery_error_naming_the_answer(smtp: _SMTPServer, report: ReportPaths) -> None:
    """An SMTP refusal says which recipient and what the server answered."""
    settings = _delivery(smtp_port=_port(smtp), to=("nobody@example.com",))

    error = send_report(settings, "Zelia", report, summary_markdown=DIGEST).errors[0]

    assert "nobody@example.com" in str(error) and "550" in str(error) and smtp.mails == []


def test_webhook_500_is_a_delivery_error(webhook_at: Callable[[int], _WebhookServer], report: ReportPaths) -> None:
    """A 500 names the status and the body received, never the webhook's secret path."""
    server = webhook_at(500)
    result = send_report(_delivery(webhook=server), "Zelia", report, summary_markdown=DIGEST)

    [error] = result.errors
    assert isinstance(error, DeliveryError) and error.channel == "webhook"
    assert str(error) == f"webhook http://127.0.0.1:{_port(server)}: HTTP 500: 'internal_error'"
    assert SECRET_PATH not in str(error)


# --- settings --------------------------------------------------------------------------------


def test_webhook_url_from_the_environment_wins(
    webhook: _WebhookServer, report: ReportPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ECOUTE_WEBHOOK_URL is used over the file's url."""
    monkeypatch.setenv(WEBHOOK_URL_ENV, f"http://127.0.0.1:{_port(webhook)}/from-env")
    settings = Delivery.model_validate({"webhook": {"url": "http://127.0.0.1:9/unused"}})

    assert send_report(settings, "Zelia", report, summary_markdown=DIGEST).ok
    assert webhook.paths == ["/from-env"]


@pytest.mark.parametrize(
    ("email", "message"),
    [
        pytest.param({"password": "hunter2"}, "set the ECOUTE_SMTP_PASSWORD", id="password kept out of the file"),
        pytest.param({"ssl": True}, "choose one", id="ssl and starttls together"),
        pytest.param({"username": "u", "starttls": False}, "in clear", id="login without TLS"),
        pytest.param({"to": ["a@example.com\r\nBcc: x@evil.test"]}, "not an e-mail address", id="header injection"),
    ],
)
def test_invalid_email_settings_are_refused(email: dict[str, Any], message: str) -> None:
    """Settings errors name the key and the problem."""
    base = {"host": "smtp.example.com", "from_address": "ecoute@example.com", "to": ["m@example.com"]}
    data = {"brands": [{"name": "Zelia"}], "sources": [{"name": "f", "kind": "file", "path": "x.jsonl"}]}
    with pytest.raises(EcouteError, match=message):
        parse_settings({**data, "delivery": {"email": {**base, **email}}})


def test_example_settings_delivery_section_is_valid() -> None:
    """The commented [delivery] example in ecoute.example.toml parses once uncommented."""
    import tomllib

    text = (resources.files("ecoute") / "templates" / "ecoute.example.toml").read_text(encoding="utf-8")
    block = text[text.index("# --- Delivery") :].splitlines()[1:]
    data = tomllib.loads("\n".join(line.removeprefix("#").removeprefix(" ") for line in block))

    delivery = Delivery.model_validate(data["delivery"])
    assert delivery.email is not None and delivery.webhook is not None and delivery.alerts is not None


def test_a_webhook_that_echoes_its_path_does_not_leak_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """An endpoint that answers with its own path ("no_service: /services/…") must not put the secret in the
    error, which goes to the log and to runs.stats."""
    import httpx

    from ecoute.core.delivery_settings import Webhook
    from ecoute.delivery.webhook import post_webhook

    monkeypatch.delenv(WEBHOOK_URL_ENV, raising=False)

    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, text=f"no_service: {request.url.path} (token {request.url.path.split('/')[-1]})")

    settings = Webhook(url=f"https://hooks.example.org{SECRET_PATH}")
    _, outcome = post_webhook(settings, {"alert": {"text": "hello"}}, httpx.MockTransport(echo))

    said = str(outcome.error)
    assert "HTTP 404" in said and "no_service" in said
    assert "secret-token" not in said and "T000/B000" not in said
