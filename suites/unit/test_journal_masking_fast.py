"""The journal's masking skips text no pattern can match, and masks the same as ever.

`mask_text` first asks cheap questions (a credential word, four digits starting a number)
before running the substitutions; these tests hold it to the plain substitutions, on every
kind of secret and on text that only looks like one.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paylab.simulator import journal_bodies as jb


def _reference(text: str) -> str:
    """Every substitution, always (what mask_text did before its shortcut)."""
    for pattern, replacement in jb._PATTERNS:
        text = pattern.sub(replacement, text)
    return jb._CARD.sub(lambda m: jb.MASK + " " + re.sub(r"\D", "", m.group(0))[-4:], text)


SECRETS = [
    ("key sk_test_abc123XYZ here", "sk_test_abc123XYZ"),
    ("rk_live_Zz9", "rk_live_Zz9"),
    ("whsec_a+b/c=", "whsec_a+b/c="),
    ("pi_0000001abc_secret_s3cr3tpart", "s3cr3tpart"),
    ("seti_9x_secret_Q1", "_secret_Q1"),
    ("https://x.test/pay?token=tok123&x=1", "tok123"),
    ("https://x.test/a?b=1&session=SESS9", "SESS9"),
    ("4242424242424242", "424242424242"),
    ("card 4000 0566 5566 5556 ok", "4000 0566"),
    ("4000-0566-5566-5556", "4000-0566"),
]


@pytest.mark.parametrize(("text", "secret"), SECRETS)
def test_every_kind_of_secret_is_masked(text: str, secret: str) -> None:
    masked = jb.mask_text(text)
    assert secret not in masked
    assert jb.MASK in masked
    assert masked == _reference(text)


@pytest.mark.parametrize("text", ["pi_000000VSAfYk0dRTpXt4", "usd", "succeeded",
                                  "1796278571", "ch_4242424242424242", "v1.4242424242424242",
                                  "https://x.test/?y=1", ""])
def test_text_without_secrets_is_kept_as_it_is(text: str) -> None:
    assert jb.mask_text(text) == text == _reference(text)


_ALPHABET = st.sampled_from([*"0123456789 -_.?&=abkpstwhecrilvonuxyz/",
                             "sk_test_", "pk_live_", "whsec_", "_secret_", "pi_", "token=",
                             "session=", "4242", "0000"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=24).map("".join))
def test_masks_exactly_what_the_substitutions_mask(text: str) -> None:
    assert jb.mask_text(text) == _reference(text)
