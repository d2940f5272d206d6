"""Webhooks against a real HTTP server on loopback: signatures, retries with
back-off, dead letters."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from alert_helpers import PLATE, finding
from pydantic import ValidationError

from platekeeper.alerts.bus import AlertBus
from platekeeper.alerts.settings import AlertsSettings, WebhookSettings
from platekeeper.alerts.webhook import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    FileDeadLetters,
    MemoryDeadLetters,
    WebhookDispatcher,
    WebhookTarget,
    sign,
    verify_signature,
)

SECRET = b"s" * 40


@dataclass
class Receiver:
    """What the local server was sent, and how it answers (status, or a delay)."""

    answers: list[int | float]
    seen: list[tuple[float, dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""

    def next_answer(self) -> int | float:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(answers=[200])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.seen.append((time.monotonic(), dict(self.headers.items()), body))
            answer = state.next_answer()
            if isinstance(answer, float):  # hang longer than the client waits
                time.sleep(answer)
                answer = 200
            self.send_response(answer)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/alerts"
    yield state
    server.shutdown()
    server.server_close()


def target(url: str, **kw: object) -> WebhookTarget:
    defaults: dict[str, object] = {
        "backoff_initial_s": 0.05,
        "backoff_max_s": 0.2,
        "timeout_s": 2.0,
    }
    return WebhookTarget("control-room", url, SECRET, **{**defaults, **kw})  # type: ignore[arg-type]


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(0.02)


def run(targets: list[WebhookTarget], letters: object, *alerts: int) -> WebhookDispatcher:
    dispatcher = WebhookDispatcher(targets, letters, seed=1)  # type: ignore[arg-type]
    dispatcher.start()
    bus = AlertBus()
    bus.subscribe(dispatcher.submit)
    for n in alerts:
        bus.raise_alert(finding(n=n))
    return dispatcher


def test_a_delivery_is_signed_and_plate_free(receiver: Receiver) -> None:
    dispatcher = run([target(receiver.url)], MemoryDeadLetters(), 1)
    wait_for(lambda: dispatcher.delivered == 1)
    dispatcher.stop()
    _, headers, body = receiver.seen[0]
    assert verify_signature(SECRET, headers, body)
    assert headers[SIGNATURE_HEADER].startswith("v1=")
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["offence"] == "hotlist"
    assert PLATE.encode() not in body
    assert not verify_signature(SECRET, headers, body.replace(b"hotlist", b"hotlisT"))
    assert not verify_signature(b"x" * 40, headers, body)
    stale = {**headers, TIMESTAMP_HEADER: str(int(time.time()) - 3600)}
    stale[SIGNATURE_HEADER] = sign(SECRET, int(stale[TIMESTAMP_HEADER]), body)
    assert not verify_signature(SECRET, stale, body)


def test_failures_are_retried_with_growing_back_off(receiver: Receiver) -> None:
    receiver.answers = [500, 503, 429, 200]
    dispatcher = run(
        [target(receiver.url, backoff_initial_s=0.1, backoff_max_s=5)], MemoryDeadLetters(), 1
    )
    wait_for(lambda: dispatcher.delivered == 1)
    dispatcher.stop()
    assert dispatcher.failed_attempts == 3
    times = [t for t, _, _ in receiver.seen]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # Back-off of 0.1, 0.2, 0.4 s, each jittered down to no less than half.
    assert gaps[0] >= 0.05
    assert gaps[1] >= 0.1
    assert gaps[2] >= 0.2
    assert len({h[DELIVERY_HEADER] for _, h, _ in receiver.seen}) == 1  # one delivery id


def test_a_receiver_that_keeps_failing_is_dead_lettered(receiver: Receiver, tmp_path: Path) -> None:
    receiver.answers = [500]
    path = tmp_path / "dead.jsonl"
    dispatcher = run([target(receiver.url, max_attempts=3)], FileDeadLetters(path), 1, 2)
    wait_for(lambda: dispatcher.dead == 2)
    dispatcher.stop()
    assert len(receiver.seen) == 6
    letters = [json.loads(line) for line in path.read_text().splitlines()]
    assert [x["attempts"] for x in letters] == [3, 3]
    assert "gave up after 3 attempts (HTTP 500)" in letters[0]["reason"]
    assert letters[0]["payload"]["offence"] == "hotlist"
    assert PLATE not in path.read_text()


def test_a_refusal_is_not_retried(receiver: Receiver) -> None:
    receiver.answers = [400]
    letters = MemoryDeadLetters()
    dispatcher = run([target(receiver.url)], letters, 1)
    wait_for(lambda: dispatcher.dead == 1)
    time.sleep(0.3)
    dispatcher.stop()
    assert len(receiver.seen) == 1
    assert letters.letters[0].reason == "refused by the receiver (HTTP 400)"


def test_timeouts_and_closed_ports_are_retried(receiver: Receiver) -> None:
    receiver.answers = [1.0, 200]
    slow = run([target(receiver.url, timeout_s=0.2)], MemoryDeadLetters(), 1)
    wait_for(lambda: slow.delivered == 1)
    slow.stop()
    assert slow.failed_attempts == 1
    letters = MemoryDeadLetters()
    nobody = run([target("http://127.0.0.1:9/closed", max_attempts=2)], letters, 1)
    wait_for(lambda: nobody.dead == 1)
    nobody.stop()
    assert letters.letters[0].reason.startswith("gave up after 2 attempts (Connect")


def test_a_webhook_gets_only_the_offences_it_asked_for(receiver: Receiver) -> None:
    dispatcher = WebhookDispatcher(
        [target(receiver.url, offences=frozenset({"stolen"}))], MemoryDeadLetters()
    )
    dispatcher.start()
    bus = AlertBus()
    bus.subscribe(dispatcher.submit)
    bus.raise_alert(finding(offence="hotlist", n=1))
    bus.raise_alert(finding(offence="stolen", n=2))
    wait_for(lambda: dispatcher.delivered == 1)
    dispatcher.stop()
    assert [json.loads(b)["offence"] for _, _, b in receiver.seen] == ["stolen"]


def test_webhook_settings(tmp_path: Path) -> None:
    secret = tmp_path / "hook.secret"
    secret.write_bytes(SECRET)
    ok = WebhookSettings(url="https://ops.example.org/alerts", secret_file=secret)
    assert ok.read_secret() == SECRET
    WebhookSettings(url="http://127.0.0.1:8080/a", secret_file=secret)
    for bad in ("http://ops.example.org/a", "ftp://x/a", "https://user:pw@ops.example.org/a"):
        with pytest.raises(ValidationError):
            WebhookSettings(url=bad, secret_file=secret)
    secret.write_bytes(b"short")
    with pytest.raises(ValueError, match="at least 32 bytes"):
        ok.read_secret()
    with pytest.raises(ValidationError):
        AlertsSettings.model_validate(
            {"webhooks": {"a": {"url": "https://x/", "secret": "inline"}}}
        )
