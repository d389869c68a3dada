"""Fixtures for the decoder tests: one pipeline per session (it builds several decoders)."""

from __future__ import annotations

import pytest

from drivers.decode_pipeline import PipelineDecoder


@pytest.fixture(scope="session")
def pipeline() -> PipelineDecoder:
    return PipelineDecoder()
