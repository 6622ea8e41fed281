"""The registry: the four adapters register themselves; a missing one fails loudly."""

from __future__ import annotations

import pytest

from optimizer.pipeline import run


def test_the_four_models_are_registered() -> None:
    run._load_models()
    assert set(run.MODELS) == {"procurement", "markets", "hubs", "routes"}


def test_a_missing_adapter_is_an_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # a broken install must not quietly run without a model
    monkeypatch.setattr(run, "ADAPTERS", (*run.ADAPTERS, "optimizer.pipeline.no_such_model"))
    with pytest.raises(ModuleNotFoundError, match="no_such_model"):
        run._load_models()
