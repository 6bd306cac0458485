"""Stripe's bracket-notation form decoding."""

import pytest
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.gateways.stripe import form


def decode(raw: str) -> dict:
    return form.decode(form.parse_pairs(raw.encode()))


def test_nested_keys_and_indexes_decode_as_stripe_python_sends_them() -> None:
    got = decode("amount=2000&metadata[order]=o1&payment_method_types[0]=card"
                 "&payment_method_data[card][number]=4242424242424242&expand[]=a&expand[]=b")
    assert got == {
        "amount": "2000",
        "metadata": {"order": "o1"},
        "payment_method_types": {"0": "card"},
        "payment_method_data": {"card": {"number": "4242424242424242"}},
        "expand": {"0": "a", "1": "b"},
    }


def test_blank_values_are_kept_because_they_mean_unset() -> None:
    assert decode("description=&metadata[k]=") == {"description": "", "metadata": {"k": ""}}


def test_percent_encoding_and_utf8_round_trip() -> None:
    assert decode("description=%E8%A8%82%E5%96%AE+1") == {"description": "訂單 1"}


@pytest.mark.parametrize("raw", ["a=1&a[b]=2", "a[b]=1&a=2", "a]=1",
                                 "a" + "[x]" * 9 + "=1"])
def test_malformed_keys_are_invalid_requests(raw: str) -> None:
    with pytest.raises(InvalidRequest):
        decode(raw)


def test_invalid_utf8_is_refused() -> None:
    with pytest.raises(InvalidRequest):
        form.parse_pairs(b"description=%ff%fe")


def test_param_names_render_in_bracket_notation() -> None:
    assert form.param_name(("payment_method_data", "card", "number")) == (
        "payment_method_data[card][number]")
    assert form.param_name(("items", 0, "price")) == "items[0][price]"
    assert form.param_name("amount") == "amount"


def test_digit_keys_stay_keys_until_a_contract_wants_an_array() -> None:
    from paylab.simulator.contracts import Contracts, contract_id

    raw = decode("amount=100&currency=usd&metadata[0]=a&metadata[00]=b"
                 "&payment_method_types[0]=card")
    assert raw["metadata"] == {"0": "a", "00": "b"}
    coerced = Contracts().coerce(contract_id("stripe/requests/payment_intent_create"), raw)
    assert coerced["payment_method_types"] == ["card"]
    assert coerced["metadata"] == {"0": "a", "00": "b"}
