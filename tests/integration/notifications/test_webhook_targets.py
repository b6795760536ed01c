"""Where webhooks may point (https, public addresses), checked when set and again at delivery, where the
connection is pinned to the address that was checked; no redirects; the response body is never read."""

from __future__ import annotations

import asyncio
import time

import httpcore
import pytest

from core.access.actor import Actor
from core.config import get_settings
from core.crypto import encrypt
from core.db import atomic
from core.errors import ValidationFailed
from core.notifications import service as notifications
from core.notifications import urls
from core.notifications.models import Notification, NotificationStatus, WebhookEndpoint
from core.notifications.service import DeliveryResult
from core.notifications.transport import webhook_http_client
from tests.integration.notifications.loopback_receiver import LOOPBACK, loopback_receiver, self_signed
from tests.notifications_support import WebhookReceiver, emit

ADMIN = Actor.admin(label="test")
PUBLIC_IP = "93.184.216.34"
PARTNER_HOST = "hooks.partner.test"


class FakeDns:
    """A resolver with scripted answers: `answers[host]` is one list, or a list of lists used in turn."""

    def __init__(self, answers: dict[str, list]):
        self.answers = answers
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answer = self.answers.get(host)
        if answer is None:
            raise OSError(f"no such host {host}")
        if answer and isinstance(answer[0], list):
            return answer[min(self.calls.count(host), len(answer)) - 1]
        return answer


@pytest.fixture
def production_policy(monkeypatch):
    """Webhooks as production sees them: no private targets, no plain http."""
    monkeypatch.setattr(get_settings(), "webhook_allow_private", False)


@pytest.fixture
def dns(monkeypatch):
    fake = FakeDns({PARTNER_HOST: [PUBLIC_IP]})
    monkeypatch.setattr(urls, "resolve_host", fake)
    return fake


async def put(party_id: int, url: str):
    async with atomic():
        return await notifications.set_webhook(actor=ADMIN, party_id=party_id, url=url, events=None)


# --- When the URL is set -------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "why"), [
    (f"http://{PARTNER_HOST}/h", "must start with https://"),
    ("https://127.0.0.1/h", "loopback"),
    ("https://[::1]:8443/h", "loopback"),
    ("https://[::ffff:127.0.0.1]/h", "loopback"),
    ("https://localhost/h", "loopback"),
    ("https://api.localhost./h", "loopback"),
    ("https://10.1.2.3/h", "private"),
    ("https://192.168.0.10/h", "private"),
    ("https://100.64.0.1/h", "private"),
    ("https://169.254.169.254/latest/meta-data", "link-local"),
    ("https://224.0.0.1/h", "multicast"),
    ("https://0.0.0.0/h", "unspecified"),
    ("https://intranet.partner.test/h", "resolves to a private address"),
    ("https://sneaky.partner.test/h", "resolves to a loopback address"),  # one public answer, one not
    ("https://metadata.partner.test/h", "resolves to a link-local address"),
    ("https://2130706433/h", "resolves to a loopback address"),  # 127.0.0.1 spelled as a number
    ("https://nowhere.partner.test/h", "does not resolve"),
])
async def test_production_refuses_urls_that_are_not_https_to_a_public_address(
        partner, production_policy, dns, url, why):
    dns.answers.update({"intranet.partner.test": ["10.0.0.7"], "sneaky.partner.test": [PUBLIC_IP, "127.0.0.1"],
                        "metadata.partner.test": ["169.254.169.254"], "2130706433": ["127.0.0.1"]})
    with pytest.raises(ValidationFailed) as caught:
        await put(partner.id, url)
    assert caught.value.code == "webhook.invalid_url" and why in caught.value.message
    assert not await WebhookEndpoint.exists(party_id=partner.id)


async def test_production_accepts_https_to_a_name_resolving_to_public_addresses(partner, production_policy, dns):
    endpoint, secret = await put(partner.id, f"https://{PARTNER_HOST}/steller")
    assert endpoint.url == f"https://{PARTNER_HOST}/steller" and secret.startswith("whsec_")
    assert dns.calls == [PARTNER_HOST]


async def test_development_allows_loopback_and_http_but_never_cloud_metadata(partner, dns):
    assert get_settings().webhooks_may_reach_private()  # the test environment, like development
    endpoint, _ = await put(partner.id, "http://127.0.0.1:9000/h")
    assert endpoint.url == "http://127.0.0.1:9000/h"
    for url in ("https://169.254.169.254/latest/meta-data", "http://[fe80::1]/h", "http://0.0.0.0:9000/h"):
        with pytest.raises(ValidationFailed):
            await put(partner.id, url)
    assert dns.calls == []  # nothing to resolve for: private names are allowed here


# --- At delivery ---------------------------------------------------------------------------------


async def test_a_url_stored_under_a_laxer_policy_is_refused_at_delivery_without_a_request(
        partner, production_policy):
    await put_raw(partner.id, "http://127.0.0.1:9/h")
    [row] = await emit(partner.id)
    receiver = WebhookReceiver()
    async with receiver.client() as http:
        outcome = await notifications.deliver(notification_id=row.id, http=http, telegram=None)
    assert outcome.result == DeliveryResult.FAILED and receiver.requests == []
    stored = await Notification.get(id=row.id)
    assert stored.status == NotificationStatus.FAILED and "https://" in stored.last_error


async def put_raw(party_id: int, url: str) -> None:
    """An endpoint as an older release (or a laxer environment) may have stored it."""
    await WebhookEndpoint.create(party_id=party_id, url=url, events=list(notifications.EVENT_TYPES),
                                 secret_encrypted=encrypt(notifications.new_webhook_secret()))


async def test_dns_rebound_to_loopback_after_the_check_is_refused_at_connect(partner, production_policy, dns):
    async with loopback_receiver() as server:
        # Public when the partner set it up; pointing at our own machine when the delivery runs.
        dns.answers[PARTNER_HOST] = [[PUBLIC_IP], ["127.0.0.1"]]
        await put(partner.id, f"https://{PARTNER_HOST}:{server.port}/h")
        [row] = await emit(partner.id)
        async with webhook_http_client(allow_private=False, resolve=dns) as http:
            outcome = await notifications.deliver(notification_id=row.id, http=http, telegram=None)
        assert server.connections == 0 and server.requests == []
    assert outcome.result == DeliveryResult.RETRY and outcome.status_code is None
    stored = await Notification.get(id=row.id)
    assert stored.last_error == "refused: the webhook host resolves to a loopback address"


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Stands in for the network: records the address asked for, connects to the loopback receiver."""

    def __init__(self, port: int):
        self.port = port
        self.hosts: list[str] = []
        self._real = httpcore.AnyIOBackend()

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.hosts.append(host)
        return await self._real.connect_tcp(LOOPBACK, self.port, timeout=timeout)

    async def sleep(self, seconds):
        await self._real.sleep(seconds)


async def test_the_connection_goes_to_the_address_that_was_checked_never_a_fresh_lookup(partner, dns):
    async with loopback_receiver() as server:
        # The first answer is checked and used; any later lookup would say loopback.
        dns.answers[PARTNER_HOST] = [[PUBLIC_IP], ["127.0.0.1"]]
        network = RecordingBackend(server.port)
        await put(partner.id, f"http://{PARTNER_HOST}:8080/hook")  # plain http: the receiver below is plain
        [row] = await emit(partner.id)
        async with webhook_http_client(allow_private=False, resolve=dns, inner=network) as http:
            outcome = await notifications.deliver(notification_id=row.id, http=http, telegram=None)
    assert outcome.result == DeliveryResult.DELIVERED
    assert dns.calls == [PARTNER_HOST] and network.hosts == [PUBLIC_IP]
    [request] = server.requests
    assert request.headers["host"] == f"{PARTNER_HOST}:8080" and request.target == "/hook"


async def test_tls_is_verified_against_the_name_while_connecting_to_the_pinned_address(partner, tmp_path):
    server_tls, client_tls = self_signed(tmp_path, PARTNER_HOST)
    dns = FakeDns({PARTNER_HOST: ["127.0.0.1"], "other.partner.test": ["127.0.0.1"]})
    async with loopback_receiver(ssl_context=server_tls) as server:
        await put(partner.id, f"https://{PARTNER_HOST}:{server.port}/h")
        [good] = await emit(partner.id)
        async with webhook_http_client(allow_private=True, resolve=dns, verify=client_tls) as http:
            delivered = await notifications.deliver(notification_id=good.id, http=http, telegram=None)
            # Same address, another name: the certificate does not match it, nothing is sent.
            await put(partner.id, f"https://other.partner.test:{server.port}/h")
            [bad] = await emit(partner.id)
            refused = await notifications.deliver(notification_id=bad.id, http=http, telegram=None)
    assert delivered.result == DeliveryResult.DELIVERED and delivered.status_code == 200
    assert server.requests[0].headers["host"] == f"{PARTNER_HOST}:{server.port}"
    assert refused.result == DeliveryResult.RETRY and len(server.requests) == 1
    assert (await Notification.get(id=bad.id)).last_error == "request failed: ConnectError"


async def test_a_redirect_is_an_answer_never_followed(partner):
    async with loopback_receiver("redirect") as server:
        await put(partner.id, f"http://127.0.0.1:{server.port}/h")
        [row] = await emit(partner.id)
        async with webhook_http_client(allow_private=True) as http:
            outcome = await notifications.deliver(notification_id=row.id, http=http, telegram=None)
    assert outcome.result == DeliveryResult.RETRY and outcome.status_code == 302
    assert [r.target for r in server.requests] == ["/h"]


async def test_an_endless_response_body_is_never_read(partner):
    async with loopback_receiver("endless") as server:
        await put(partner.id, f"http://127.0.0.1:{server.port}/h")
        [row] = await emit(partner.id)
        started = time.monotonic()
        async with webhook_http_client(allow_private=True) as http:
            outcome = await notifications.deliver(notification_id=row.id, http=http, telegram=None)
        await asyncio.wait_for(server.closed_by_client.wait(), timeout=5)
    assert outcome.result == DeliveryResult.DELIVERED and outcome.status_code == 200
    assert time.monotonic() - started < 5
    assert server.body_bytes_sent < 50 * 1024 * 1024  # we hung up, it did not stream on


@pytest.mark.parametrize(("allow_private", "expected"), [(None, DeliveryResult.DELIVERED),
                                                        (False, DeliveryResult.RETRY)])
async def test_the_worker_client_takes_its_address_policy_from_the_settings(partner, monkeypatch, allow_private,
                                                                             expected):
    """`webhook_http_client()`, as the worker builds it, follows WEBHOOK_ALLOW_PRIVATE / STELLER_ENV."""
    async with loopback_receiver() as server:
        await put(partner.id, f"http://{PARTNER_HOST}:{server.port}/h")
        [row] = await emit(partner.id)
        monkeypatch.setattr(get_settings(), "webhook_allow_private", allow_private)
        client = webhook_http_client(resolve=FakeDns({PARTNER_HOST: ["127.0.0.1"]}))
        monkeypatch.setattr(get_settings(), "webhook_allow_private", None)  # only the client's policy differs
        async with client as http:
            outcome = await notifications.deliver(notification_id=row.id, http=http, telegram=None)
    assert outcome.result == expected
    assert len(server.requests) == (1 if expected == DeliveryResult.DELIVERED else 0)
