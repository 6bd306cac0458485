"""The reference shop's API key: SHOP_API_KEY when given, else one generated per database
with the OS's CSPRNG and kept there, so no two shops share a well-known key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from paylab.shop.app import SETTINGS, create_app
from paylab.shop.db import ShopDB
from paylab.shop.settings import ShopSettings


def test_each_database_generates_its_own_key_and_keeps_it(tmp_path: Path) -> None:
    first = ShopDB(str(tmp_path / "a" / "shop.db")).api_key()
    assert re.fullmatch(r"sk_test_shop_[0-9a-f]{32}", first)
    assert ShopDB(str(tmp_path / "a" / "shop.db")).api_key() == first  # after a restart
    assert ShopDB(str(tmp_path / "b" / "shop.db")).api_key() != first


def test_the_shop_uses_the_generated_key_unless_one_is_set(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOP_API_KEY", raising=False)
    db = str(tmp_path / "shop.db")
    generated = create_app(ShopSettings.from_env(db=db))[SETTINGS].api_key
    assert generated == ShopDB(db).api_key()
    monkeypatch.setenv("SHOP_API_KEY", "sk_test_mine")
    assert create_app(ShopSettings.from_env(db=db))[SETTINGS].api_key == "sk_test_mine"
    assert ShopSettings().api_key is None, "no key may be built in"
