"""Credentials and bearer URLs are unguessable: the seed (public through /_sim/health) and
the journal (public request ids) pin the seeded stream, so nothing that grants access may
come from it. Endpoint secrets, client secrets and hosted-page tokens come from `secrets`;
an id alone opens nothing; and no credential is written to the journal or the log."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import stripe
from paylab.suites.plugins.simulator import LiveSimulator, start_simulator, stop_simulator

CARD = {"cardnumber": "4242424242424242", "expiry": "12/34", "cvc": "123", "name": "T"}


def _one_of_each(sim: LiveSimulator, key: str) -> dict[str, str]:
    """The same requests on any simulator: an endpoint, a payment, a Checkout Session."""
    api = stripe.StripeClient(key, base_addresses={"api": sim.stripe_url},
                              max_network_retries=0)
    endpoint = api.v1.webhook_endpoints.create(params={
        "url": "http://127.0.0.1:9/hook", "enabled_events": ["*"]})
    intent = api.v1.payment_intents.create(params={"amount": 1000, "currency": "usd"})
    session = api.v1.checkout.sessions.create(params={
        "success_url": "https://shop.example/ok", "amount": 1500, "currency": "usd"})
    hosted = urlsplit(session.url)  # the host differs between simulators, the rest must too
    return {"endpoint": endpoint.id, "secret": endpoint.secret, "intent": intent.id,
            "client_secret": intent.client_secret, "session": session.id, "url": session.url,
            "page": f"{hosted.path}?{hosted.query}"}


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, str]]:
    """Two fresh simulators with the same seed, asked the same things in the same order."""
    made = []
    for name in ("twin-a", "twin-b"):
        sim = start_simulator(tmp_path_factory.mktemp(name), name=name)
        try:
            made.append(_one_of_each(sim, "sk_test_same_key_on_both"))
        finally:
            stop_simulator(sim)
    return made


def test_ids_still_follow_the_seed(twins: list[dict[str, str]]) -> None:
    first, second = twins
    assert [first[k] for k in ("endpoint", "intent", "session")] == [
        second[k] for k in ("endpoint", "intent", "session")]


@pytest.mark.parametrize("credential", ["secret", "client_secret", "page"])
def test_credentials_do_not_follow_the_seed(twins: list[dict[str, str]],
                                            credential: str) -> None:
    first, second = twins
    assert first[credential] != second[credential], (
        f"{credential} is the same on two simulators with the same seed: anyone who knows "
        "the seed and the request order can compute it")


def test_a_session_id_alone_does_not_open_the_hosted_page(simulator: LiveSimulator) -> None:
    made = _one_of_each(simulator, f"sk_test_bearer_{uuid.uuid4().hex[:8]}")
    assert requests.get(made["url"], timeout=10).status_code == 200
    bare = f"{simulator.stripe_url}/checkout/{made['session']}"
    token = parse_qs(urlsplit(made["url"]).query)
    assert token, "the hosted page URL carries no token beside the session id"
    for url in (bare, f"{bare}?token=", f"{bare}?token=wrong", f"{bare}?token=%C3%A9t%C3%A9",
                f"{bare}/return"):
        answer = requests.get(url, timeout=10)
        assert answer.status_code == 404, url
        assert "1500" not in answer.text and "15.00" not in answer.text
    posted = requests.post(bare, data=CARD, allow_redirects=False, timeout=10)
    assert posted.status_code == 404


@pytest.mark.parametrize("secret", ["wrong", "\u00e9t\u00e9", ""])
def test_the_challenge_page_refuses_other_client_secrets(simulator: LiveSimulator,
                                                         secret: str) -> None:
    api = stripe.StripeClient(f"sk_test_3dsbearer_{uuid.uuid4().hex[:8]}",
                              base_addresses={"api": simulator.stripe_url})
    intent = api.v1.payment_intents.create(params={
        "amount": 1000, "currency": "usd", "payment_method": "pm_card_threeDSecure2Required",
        "confirm": True, "return_url": "https://shop.example/back"})
    params = {"payment_intent": intent.id, "client_secret": secret}
    shown = requests.get(f"{simulator.stripe_url}/3ds/authenticate", params=params,
                         timeout=10)
    assert shown.status_code == 404
    posted = requests.post(f"{simulator.stripe_url}/3ds/authenticate",
                           data={**params, "result": "passed"}, allow_redirects=False,
                           timeout=10)
    assert posted.status_code in (400, 404)
    assert api.v1.payment_intents.retrieve(intent.id).status == "requires_action"


def test_no_credential_reaches_the_journal_or_the_log(tmp_path: Path) -> None:
    sim = start_simulator(tmp_path, name="quiet", flags=("--log-level", "debug"))
    try:
        key = f"sk_test_quiet_{uuid.uuid4().hex}"
        made = _one_of_each(sim, key)
        requests.get(made["url"], timeout=10)
        requests.post(made["url"], data=CARD, allow_redirects=False, timeout=10)
        page_token = parse_qs(urlsplit(made["url"]).query)["token"][0]
        journal = requests.get(f"{sim.url}/_sim/journal", params={"limit": 1000},
                               timeout=10).text
    finally:
        stop_simulator(sim)
    log = sim.log_text()
    for name, value in (("api key", key), ("endpoint secret", made["secret"]),
                        ("client secret", made["client_secret"]),
                        ("page token", page_token)):
        assert value not in journal, f"the {name} is in the journal"
        assert value not in log, f"the {name} is in the log"
