"""Fixtures of the address tests."""

from __future__ import annotations

import pytest

from gridgov.address.shipped import load_tagger, packaged_model_path
from gridgov.address.tagger import AddressTagger


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> AddressTagger:
    """The packaged parser, as the API loads it on a deployment without a model of its own."""
    tagger = load_tagger(tmp_path_factory.mktemp("no-deployment-model"))
    assert tagger is not None, f"the packaged model is missing: {packaged_model_path()}"
    return tagger
