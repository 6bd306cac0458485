"""Stripe's search query language: what the parser reads, what it refuses (with Stripe's
wording where Stripe's is known), and how clauses match rendered objects."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.gateways.stripe.search_query import (
    FIELDS,
    PARSE_ERROR,
    Clause,
    Query,
    check,
    compile_query,
    parse,
)

PI: dict[str, Any] = {"id": "pi_1", "amount": 2000, "created": 1_700_000_000, "currency": "usd",
                      "customer": None, "status": "succeeded",
                      "metadata": {"order": "A-17", "empty": ""}}
CHARGE: dict[str, Any] = {
    "id": "ch_1", "amount": 500, "created": 1_700_000_100, "currency": "eur", "customer": "cus_9",
    "disputed": False, "refunded": True, "status": "succeeded", "metadata": {},
    "billing_details": {"address": {"postal_code": "10001"}},
    "payment_method_details": {"card": {"brand": "visa", "last4": "4242", "exp_month": 12,
                                        "exp_year": 2031, "fingerprint": "fp_AbC"}},
}
CUSTOMER: dict[str, Any] = {"id": "cus_1", "created": 1_700_000_200, "email": "Amy@Rocket.io",
                            "name": "Amy Tan", "phone": "+15551234567", "metadata": {}}


def refused(text: str, resource: str = "payment_intents") -> str:
    """The message of the 400 a query gets (param `query`)."""
    with pytest.raises(InvalidRequest) as caught:
        compile_query(text, resource)
    assert caught.value.param == "query" and caught.value.code == "parameter_invalid_string"
    return caught.value.message


def hit(text: str, obj: dict[str, Any], resource: str = "payment_intents") -> bool:
    return compile_query(text, resource)(obj)


# -- parsing -------------------------------------------------------------------------------------
def test_a_clause_is_field_operator_value_for_every_operator() -> None:
    for op in (":", "~", ">", ">=", "<", "<="):
        assert parse(f"amount{op}10") == Query((Clause("amount", op, "10"),))


def test_quoted_values_with_escapes_in_either_quote() -> None:
    assert parse(r'description:"say \"hi\" \\ bye"').clauses[0] == Clause(
        "description", ":", 'say "hi" \\ bye', quoted=True)
    assert parse(r"status:'it\'s'").clauses[0].value == "it's"
    assert parse('email:""').clauses[0] == Clause("email", ":", "", quoted=True)


def test_null_unquoted_is_null_quoted_is_a_string() -> None:
    assert parse("customer:null").clauses[0].value is None
    assert parse("customer:NULL").clauses[0].value is None
    assert parse('customer:"null"').clauses[0].value == "null"


def test_negation_metadata_keys_and_dotted_fields() -> None:
    clause = parse('-metadata["order id"]:null').clauses[0]
    assert (clause.field, clause.key, clause.value, clause.negated) == (
        "metadata", "order id", None, True)
    assert parse("metadata['k']:'v'").clauses[0].key == "k"
    assert parse('payment_method_details.card.last4:"4242"').clauses[0].field == (
        "payment_method_details.card.last4")


def test_spaces_around_operators_and_between_clauses() -> None:
    query = parse("  status: 'active'   amount >= 5  ")
    assert [(c.field, c.op, c.value) for c in query.clauses] == [
        ("status", ":", "active"), ("amount", ">=", "5")]
    assert not query.any_of


def test_and_or_keywords_any_case() -> None:
    assert not parse("amount:1 AND currency:usd and status:x").any_of
    assert parse("amount:1 OR amount:2 or amount:3").any_of
    assert len(parse("amount:1 AND amount:2").clauses) == 2


def test_a_field_named_like_a_keyword_is_still_a_field() -> None:
    assert parse("amount:1 order:2").clauses[1].field == "order"


def test_ten_clauses_pass_eleven_do_not() -> None:
    assert len(parse(" ".join(["amount>1"] * 10)).clauses) == 10
    assert refused(" ".join(["amount>1"] * 11)) == (
        "A search query can have at most 10 clauses; this one has 11.")


def test_and_and_or_never_mix() -> None:
    message = refused("amount:1 AND amount:2 OR amount:3")
    assert "cannot combine `AND` and `OR`" in message
    assert "cannot combine" in refused("amount:1 amount:2 OR amount:3")  # a space is an AND


@pytest.mark.parametrize(("text", "at"), [
    ("asdf", 5),                      # no operator
    ("", 1),                          # nothing at all
    ("   ", 4),
    (":1", 1),                        # no field
    ("amount:", 8),                   # no value
    ('status:"open', 8),              # quote never closed
    ('status:"a"amount:1', 11),       # clauses must be apart
    ("amount:1 AND", 13),             # AND with nothing after it: read as a field
    ("amount:1 AND ", 14),
    ("amount=1", 7),                  # `=` is not an operator
    ('metadata[order]:"x"', 10),      # metadata keys are quoted
    ('metadata["k":"x"', 13),         # bracket never closed
    ('amount["k"]:1', 1),             # only metadata takes a key
    ("status:(a)", 8),
    ("-", 2),
])
def test_syntax_errors_say_stripes_sentence_and_where(text: str, at: int) -> None:
    message = refused(text)
    assert message == f"{PARSE_ERROR} (The query could not be read from character {at}.)"


def test_parse_error_is_stripes_wording() -> None:
    assert PARSE_ERROR.startswith("We were unable to parse your search query.")


# -- checking against a resource's fields --------------------------------------------------------
@pytest.mark.parametrize(("resource", "anchor"), [
    ("payment_intents", "paymentintents"), ("charges", "charges"), ("customers", "customers")])
def test_an_unknown_field_gets_stripes_message(resource: str, anchor: str) -> None:
    assert refused('foo:"bar"', resource) == (
        f"Field `foo` is an unsupported search field for resource `{resource}`. See "
        f"https://docs.stripe.com/search#query-fields-for-{anchor} for a list of supported "
        "fields.")


def test_each_resource_has_only_its_documented_fields() -> None:
    assert set(FIELDS["payment_intents"]) == {"amount", "created", "currency", "customer",
                                              "status"}
    assert set(FIELDS["customers"]) == {"created", "email", "name", "phone"}
    assert {"disputed", "refunded", "billing_details.address.postal_code",
            "payment_method_details.card.last4"} <= set(FIELDS["charges"])
    assert "Field `email`" in refused('email:"a@b.c"', "payment_intents")
    assert "Field `status`" in refused('status:"active"', "customers")
    assert "Field `description`" in refused('description:"x"', "charges")


def test_metadata_needs_a_key_and_takes_only_exact_matches() -> None:
    assert refused('metadata:"x"') == PARSE_ERROR
    assert "`~` operator is not supported on `metadata`" in refused('metadata["k"]~"abc"')
    assert "`>` operator" in refused('metadata["k"]>1')


def test_substring_only_where_stripe_allows_and_three_characters_at_least() -> None:
    for field in ("email", "name", "phone"):
        check(parse(f'{field}~"abc"'), "customers")
    assert "not supported on `currency` (a string field)" in refused('currency~"usd"')
    assert "not supported on `status` (a token field)" in refused('status~"succ"')
    assert refused('email~"ab"', "customers") == (
        "Substring matching (`~`) on `email` needs a value of at least 3 characters.")
    assert "at least 3" in refused("email~null", "customers")


def test_comparators_only_on_numeric_fields_with_integers() -> None:
    assert "`>=` operator is not supported on `currency`" in refused('currency>="usd"')
    assert "`<` operator is not supported on `disputed`" in refused("disputed<1", "charges")
    assert refused("amount>1.5") == "`amount` is a numeric field: `1.5` is not an integer."
    assert "not an integer" in refused('created:"yesterday"')
    assert refused("amount>null") == "`null` only goes with the `:` operator (`amount:null`)."


def test_booleans_take_true_or_false() -> None:
    check(parse('disputed:"true" refunded:false'), "charges")
    assert "`refunded` is a boolean field" in refused('refunded:"yes"', "charges")


# -- matching ------------------------------------------------------------------------------------
def test_exact_match_is_case_insensitive() -> None:
    assert hit('currency:"USD"', PI) and hit("status:SUCCEEDED", PI)
    assert not hit('currency:"eur"', PI)
    assert hit('email:"amy@rocket.io"', CUSTOMER, "customers")


def test_numbers_compare_as_numbers() -> None:
    assert hit("amount:2000", PI) and hit('amount:"2000"', PI)
    assert hit("amount>1999", PI) and not hit("amount>2000", PI)
    assert hit("amount>=2000", PI) and not hit("amount>=2001", PI)
    assert hit("amount<2001", PI) and not hit("amount<2000", PI)
    assert hit("amount<=2000", PI) and not hit("amount<=1999", PI)
    assert hit("created>1699999999 created<1700000001", PI)


def test_negation_flips_a_clause() -> None:
    assert hit('-currency:"jpy"', PI) and not hit('-currency:"usd"', PI)


def test_null_matches_a_missing_value_and_negated_null_a_present_one() -> None:
    assert hit("customer:null", PI) and not hit("-customer:null", PI)
    assert hit('-customer:null', CHARGE, "charges")
    assert hit('-metadata["order"]:null', PI) and not hit('metadata["order"]:null', PI)
    assert hit('metadata["absent"]:null', PI)
    assert hit('metadata["empty"]:null', PI)  # Stripe stores no empty metadata values


def test_metadata_values_match_exactly() -> None:
    assert hit('metadata["order"]:"a-17"', PI)
    assert not hit('metadata["order"]:"A-1"', PI)
    assert not hit('metadata["ORDER"]:"A-17"', PI)  # keys are as written


def test_substring_matching() -> None:
    assert hit('email~"rocket"', CUSTOMER, "customers")
    assert hit('name~"MY T"', CUSTOMER, "customers")
    assert not hit('phone~"999"', CUSTOMER, "customers")


def test_nested_fields_and_booleans_of_charges() -> None:
    assert hit('payment_method_details.card.last4:"4242"', CHARGE, "charges")
    assert hit("payment_method_details.card.exp_month:12", CHARGE, "charges")
    assert hit('payment_method_details.card.fingerprint:"fp_abc"', CHARGE, "charges")
    assert hit('billing_details.address.postal_code:"10001"', CHARGE, "charges")
    assert hit("payment_method_details.card_present.last4:null", CHARGE, "charges")
    assert hit('refunded:"true" disputed:false', CHARGE, "charges")
    assert not hit("disputed:true", CHARGE, "charges")
    assert hit('customer:"cus_9"', CHARGE, "charges")


def test_and_needs_every_clause_or_needs_one() -> None:
    assert not hit('currency:"usd" AND amount:1', PI)
    assert not hit('currency:"usd" amount:1', PI)
    assert hit('currency:"eur" OR amount:2000', PI)
    assert not hit('currency:"eur" OR amount:1', PI)
