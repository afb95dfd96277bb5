"""Shared fixtures: the embedded tiny models, loaded once per session."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def pytest_collection_modifyitems(config, items):
    """Skip GPU tests where no CUDA device exists, and vLLM tests where vLLM is missing."""
    import importlib.util

    try:
        import torch

        has_gpu = torch.cuda.is_available()
    except ImportError:
        has_gpu = False
    has_vllm = importlib.util.find_spec("vllm") is not None
    no_gpu = pytest.mark.skip(reason="needs a CUDA GPU")
    no_vllm = pytest.mark.skip(
        reason="needs vLLM: build its environment with scripts/vllm-cpu-env DIR, then run "
        "DIR/bin/python -m pytest -m vllm"
    )
    for item in items:
        if "gpu" in item.keywords and not has_gpu:
            item.add_marker(no_gpu)
        if "vllm" in item.keywords and not has_vllm:
            item.add_marker(no_vllm)


@pytest.fixture(scope="session", params=["tiny", "tiny-llava"])
def tiny_policy(request):
    """(name, model, processor) for each tiny architecture, fp32 on CPU."""
    from zeroplay.models.loader import ModelSettings, load_policy

    model, processor = load_policy(ModelSettings(name=request.param, device="cpu"))
    return request.param, model, processor


@pytest.fixture(scope="session")
def tiny_qwen():
    """(model, processor) of the tiny Qwen2.5-VL."""
    from zeroplay.models.loader import ModelSettings, load_policy

    return load_policy(ModelSettings(name="tiny", device="cpu"))
