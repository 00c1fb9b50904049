"""The HF backend's rules that need no transformers: pad token, attention, packages, folders."""

import importlib.util
import os

import pytest

from localtune_runtime.backends import hf
from localtune_runtime.config import ModelSpec
from localtune_runtime.failures import RunFailure


class FakeTokenizer:
    def __init__(self, pad=None, eos=None):
        self.pad_token, self.pad_token_id = (pad, 7) if pad else (None, None)
        self.eos_token, self.eos_token_id = (eos, 2) if eos else (None, None)

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        if name == "pad_token" and value is not None and getattr(self, "eos_token", None) == value:
            object.__setattr__(self, "pad_token_id", self.eos_token_id)


def test_a_tokenizer_without_pad_uses_eos_with_a_warning():
    warnings = []
    tokenizer = FakeTokenizer(eos="</s>")
    hf.ensure_pad_token(tokenizer, lambda kind, message: warnings.append((kind, message)))
    assert tokenizer.pad_token == "</s>" and tokenizer.pad_token_id == 2
    assert warnings and warnings[0][0] == "tokenizer" and "'</s>'" in warnings[0][1]


def test_a_tokenizer_with_pad_is_left_alone():
    warnings = []
    tokenizer = FakeTokenizer(pad="<pad>", eos="</s>")
    hf.ensure_pad_token(tokenizer, lambda *a: warnings.append(a))
    assert tokenizer.pad_token_id == 7 and not warnings


@pytest.mark.parametrize("pad", [None, "<pad>"])
def test_a_tokenizer_without_eos_is_an_error(pad):
    with pytest.raises(RunFailure) as raised:
        hf.ensure_pad_token(FakeTokenizer(pad=pad), lambda *a: None)
    assert raised.value.kind == "tokenizer" and "EOS" in raised.value.message


def test_attention_choice():
    warnings = []
    warn = lambda kind, message: warnings.append(kind)  # noqa: E731
    default = "sdpa"
    assert hf.choose_attention("auto", False, "fp32", warn) == default
    assert hf.choose_attention("eager", True, "bf16", warn) == "eager"
    assert hf.choose_attention("flash_attention_2", False, "fp32", warn) == default
    assert warnings == ["attention"]


def test_required_packages_per_method():
    assert hf.required_packages("full") == ["transformers"]
    assert hf.required_packages("lora") == ["transformers", "peft"]
    assert hf.required_packages("qlora") == ["transformers", "peft", "bitsandbytes"]


def test_missing_transformers_is_named(monkeypatch):
    # The runtime venv has transformers; a runtime without it must still say what to install.
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "transformers" else real_find_spec(name, *a))
    with pytest.raises(RunFailure) as raised:
        hf.require_packages("full")
    assert raised.value.kind == "missing_package" and "transformers" in raised.value.message


def test_model_folder_checks(tmp_path):
    assert hf.check_model_folder(ModelSpec(id="org/name")) is None  # the HF cache is transformers' job
    with pytest.raises(RunFailure, match="has no config.json"):
        hf.check_model_folder(ModelSpec(id="org/name", path=str(tmp_path)))
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model-00001-of-00002.safetensors").write_bytes(b"")
    assert hf.check_model_folder(ModelSpec(id="org/name", path=str(tmp_path))) == tmp_path


def test_offline_unless_downloads_are_allowed(monkeypatch):
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):  # recorded, so restored after the test
        monkeypatch.setenv(name, "0")
        monkeypatch.delenv(name)
    hf.set_offline_mode(allow_downloads=True)
    assert "HF_HUB_OFFLINE" not in os.environ
    hf.set_offline_mode(allow_downloads=False)
    assert os.environ["HF_HUB_OFFLINE"] == "1"
