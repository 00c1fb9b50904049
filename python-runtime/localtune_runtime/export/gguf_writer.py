"""A GGUF file for llama.cpp from a merged transformers model, written with the `gguf` package.

Architectures: Llama (LlamaForCausalLM), Mistral (MistralForCausalLM, which llama.cpp runs as
"llama") and Qwen2 (Qwen2ForCausalLM). Their tensors map one to one onto llama.cpp's names
(gguf.get_tensor_name_map); Llama and Mistral need q_proj and k_proj rows reordered, because
llama.cpp's "llama" rotates query/key pairs that are adjacent while transformers rotates the two
halves of each head (Qwen2 runs with the halves convention in llama.cpp too, so it is written
as is). Others are refused with the reason in REFUSED: each needs a conversion LocalTune does not
do (fused or extra tensors, another norm, experts); llama.cpp's convert_hf_to_gguf.py on the
merged export handles many of them.

Types: every one-dimensional tensor (norms, biases, RoPE factors) is f32, as llama.cpp expects.
Matrices get the chosen type; a matrix whose rows do not split into the type's blocks falls back
to f16. For q4_*/q5_* the token embedding and output matrices stay q8_0, as llama.cpp's own
quantizer keeps them above 4 and 5 bits. The tensors are written one at a time, straight from
the model, so memory holds the model plus one tensor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import numpy as np
import torch

from ..failures import RunFailure
from . import QUANTS
from .gguf_tokenizer import GgufTokenizer

LOW_BIT = ("q5_1", "q5_0", "q4_1", "q4_0")

# transformers architecture -> (llama.cpp architecture, reorder q/k rows for llama.cpp's RoPE)
SUPPORTED: Dict[str, Tuple[str, bool]] = {
    "LlamaForCausalLM": ("llama", True),
    "MistralForCausalLM": ("llama", True),
    "Qwen2ForCausalLM": ("qwen2", False),
}

REFUSED: Dict[str, str] = {
    "Phi3ForCausalLM": "Phi-3 stores q/k/v in one fused qkv_proj and gate/up in one gate_up_proj, and its long-context "
                       "variants need their RoPE factor lists",
    "GPT2LMHeadModel": "GPT-2 uses Conv1D (transposed) weights, LayerNorm and learned positions",
    "Qwen3ForCausalLM": "Qwen3 adds q/k norms that this writer does not map",
    "Gemma2ForCausalLM": "Gemma 2 adds post-norms, logit soft-capping and scaled embeddings",
    "GemmaForCausalLM": "Gemma scales its embeddings and norms (weights stored minus one)",
    "Gemma3ForCausalLM": "Gemma 3 adds q/k norms, post-norms and sliding-window layers",
    "MixtralForCausalLM": "Mixtral is a mixture of experts (expert tensors are stacked differently)",
    "Qwen2MoeForCausalLM": "Qwen2-MoE is a mixture of experts",
    "PhiForCausalLM": "Phi-2 uses LayerNorm, partial rotary embeddings and a parallel block",
}


def refusal_reason(architecture: str) -> Optional[str]:
    """None when the architecture can be written, else a sentence saying why not."""
    if architecture in SUPPORTED:
        return None
    why = REFUSED.get(architecture, "LocalTune's GGUF writer has no tensor mapping for it")
    return (f"{architecture} cannot be exported to GGUF by LocalTune: {why}. LocalTune writes GGUF for Llama, "
            "Mistral and Qwen2 models.")


def _refuse(architecture: str) -> RunFailure:
    return RunFailure("config", refusal_reason(architecture) or architecture,
                      ["Export 'merged' and convert that folder with llama.cpp's convert_hf_to_gguf.py.",
                       "Or export the adapter and load it with peft."])


@dataclass
class GgufPlan:
    architecture: str
    """llama.cpp's architecture name ("llama", "qwen2")."""
    quant: str
    tensors: List[Tuple[str, str, Tuple[int, ...], str]] = field(default_factory=list)
    """(gguf name, transformers name or "" for generated ones, shape, type name)."""
    fallbacks: List[str] = field(default_factory=list)
    """Matrices written in f16 because their rows do not split into the quant's blocks."""

    def type_counts(self) -> Dict[str, int]:
        counts: Dict[str, int] = {}
        for _, _, _, type_name in self.tensors:
            counts[type_name.lower()] = counts.get(type_name.lower(), 0) + 1
        return counts

    def data_bytes(self) -> int:
        import gguf

        total = 0
        for _, _, shape, type_name in self.tensors:
            block, size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType[type_name]]
            total += math.prod(shape) // block * size
        return total


def _config_value(config: dict, *names, default=None):
    for name in names:
        if config.get(name) is not None:
            return config[name]
    return default


def _rope(config: dict) -> Tuple[float, dict]:
    """(rope_theta, the scaling parameters) from transformers 4 (rope_theta + rope_scaling) or
    transformers 5 (rope_parameters) configs."""
    params = config.get("rope_parameters") or {}
    scaling = config.get("rope_scaling") or {}
    theta = _config_value(params, "rope_theta", default=None) or _config_value(config, "rope_theta", default=10000.0)
    merged = {**scaling, **params}
    return float(theta), merged


def plan_gguf(model, quant: str) -> GgufPlan:
    """Which tensors the file will hold, under which names, in which types. Raises for an
    architecture, RoPE scaling or quant this writer cannot honour."""
    import gguf

    if quant not in QUANTS:
        raise RunFailure("config", f"--quant {quant} is not a GGUF type LocalTune can write; choose one of "
                         f"{', '.join(QUANTS)}.", ["q8_0 is close to the original at half the size of f16."])
    config = model.config.to_dict()
    architecture = (config.get("architectures") or [type(model).__name__])[0]
    if architecture not in SUPPORTED:
        raise _refuse(architecture)
    arch_name, _ = SUPPORTED[architecture]
    arch = gguf.MODEL_ARCH.LLAMA if arch_name == "llama" else gguf.MODEL_ARCH.QWEN2
    _, scaling = _rope(config)
    rope_type = (scaling.get("rope_type") or scaling.get("type") or "default").lower()
    if rope_type not in ("default", "linear", "llama3", "yarn"):
        raise RunFailure("config", f"The model uses RoPE scaling '{rope_type}', which this GGUF writer does not "
                         "describe to llama.cpp (it writes none, linear, llama3 and yarn).",
                         ["Export 'merged' and convert it with llama.cpp's convert_hf_to_gguf.py."])
    blocks = int(config["num_hidden_layers"])
    names = gguf.get_tensor_name_map(arch, blocks)
    main_type, _ = QUANTS[quant]
    plan = GgufPlan(arch_name, quant)
    if rope_type == "llama3":
        plan.tensors.append((gguf.TENSOR_NAMES[gguf.MODEL_TENSOR.ROPE_FREQS] + ".weight", "", (_head_dim(config) // 2,), "F32"))
    tied = bool(config.get("tie_word_embeddings"))
    for hf_name, tensor in model.state_dict().items():
        if tied and hf_name == "lm_head.weight":
            continue  # llama.cpp uses token_embd when output.weight is absent
        if hf_name.endswith("rotary_emb.inv_freq"):
            continue
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if name is None:
            raise RunFailure("config", f"The model has a tensor {hf_name} that has no llama.cpp name for "
                             f"{arch_name}; the GGUF file would be incomplete.",
                             ["Export 'merged' and convert it with llama.cpp's convert_hf_to_gguf.py."])
        shape = tuple(tensor.shape)
        if len(shape) == 1:
            type_name = "F32"
        else:
            type_name = main_type
            if quant in LOW_BIT and name in ("token_embd.weight", "output.weight"):
                type_name = "Q8_0"
            block, _ = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType[type_name]]
            if shape[-1] % block:
                plan.fallbacks.append(f"{name} ({shape[-1]} columns)")
                type_name = "F16"
        plan.tensors.append((name, hf_name, shape, type_name))
    return plan


def _head_dim(config: dict) -> int:
    return int(config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"])


def _llama3_rope_factors(config: dict) -> np.ndarray:
    """The per-frequency factors of Llama 3.1's RoPE scaling (as llama.cpp's converter makes them)."""
    base, scaling = _rope(config)
    dim = _head_dim(config)
    freqs = 1.0 / (base ** (np.arange(0, dim, 2, dtype=np.float64) / dim))
    factor = float(scaling.get("factor", 8.0))
    low = float(scaling.get("low_freq_factor", 1.0))
    high = float(scaling.get("high_freq_factor", 4.0))
    old_context = float(scaling.get("original_max_position_embeddings", 8192))
    low_wavelen, high_wavelen = old_context / low, old_context / high
    factors = []
    for freq in freqs:
        wavelen = 2 * math.pi / freq
        if wavelen < high_wavelen:
            factors.append(1.0)
        elif wavelen > low_wavelen:
            factors.append(factor)
        else:
            smooth = (old_context / wavelen - low) / (high - low)
            factors.append(1.0 / ((1 - smooth) / factor + smooth))
    return np.asarray(factors, dtype=np.float32)


def _permute(weight: torch.Tensor, heads: int) -> torch.Tensor:
    """transformers' rotate-half layout to llama.cpp's interleaved pairs, per head."""
    return (weight.reshape(heads, 2, weight.shape[0] // heads // 2, *weight.shape[1:])
            .swapaxes(1, 2).reshape(weight.shape))


def _add_hyper_parameters(writer, config: dict, arch_name: str, file_type: int, name: str) -> None:
    import gguf

    writer.add_name(name)
    writer.add_context_length(int(config.get("max_position_embeddings") or 4096))
    writer.add_embedding_length(int(config["hidden_size"]))
    writer.add_block_count(int(config["num_hidden_layers"]))
    writer.add_feed_forward_length(int(config["intermediate_size"]))
    heads = int(config["num_attention_heads"])
    writer.add_head_count(heads)
    writer.add_head_count_kv(int(config.get("num_key_value_heads") or heads))
    head_dim = _head_dim(config)
    writer.add_key_length(head_dim)
    writer.add_value_length(head_dim)
    writer.add_rope_dimension_count(head_dim)
    theta, scaling = _rope(config)
    writer.add_rope_freq_base(theta)
    writer.add_layer_norm_rms_eps(float(config.get("rms_norm_eps") or 1e-6))
    writer.add_vocab_size(int(config["vocab_size"]))
    writer.add_file_type(file_type)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    rope_type = (scaling.get("rope_type") or scaling.get("type") or "default").lower()
    if rope_type == "linear":
        writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        writer.add_rope_scaling_factor(float(scaling["factor"]))
    elif rope_type == "yarn":
        writer.add_rope_scaling_type(gguf.RopeScalingType.YARN)
        writer.add_rope_scaling_factor(float(scaling["factor"]))
        writer.add_rope_scaling_orig_ctx_len(int(scaling["original_max_position_embeddings"]))


def _tensor_data(model, plan: GgufPlan, config: dict, reorder: bool) -> Iterator[Tuple[str, np.ndarray, str]]:
    """(name, data, type) per planned tensor, computed one at a time."""
    import gguf

    state = model.state_dict()
    heads = int(config["num_attention_heads"])
    kv_heads = int(config.get("num_key_value_heads") or heads)
    for name, hf_name, _, type_name in plan.tensors:
        if not hf_name:
            yield name, _llama3_rope_factors(config), type_name
            continue
        tensor = state[hf_name].detach()
        if reorder and hf_name.endswith(("q_proj.weight", "q_proj.bias")):
            tensor = _permute(tensor, heads)
        elif reorder and hf_name.endswith(("k_proj.weight", "k_proj.bias")):
            tensor = _permute(tensor, kv_heads)
        qtype = gguf.GGMLQuantizationType[type_name]
        if type_name == "F16":
            data = tensor.to(device="cpu", dtype=torch.float16).numpy()
        else:
            data = tensor.to(device="cpu", dtype=torch.float32).numpy()
            if type_name != "F32":
                data = gguf.quants.quantize(data, qtype)
        yield name, data, type_name


def write_gguf(model, tokenizer: GgufTokenizer, plan: GgufPlan, path: Path, name: str,
               on_tensor: Callable[[int, int, int], None]) -> int:
    """Writes the file (via a temporary name, renamed when complete); returns its size in bytes.
    on_tensor(done, total, bytes_written) is called after each tensor."""
    import gguf

    config = model.config.to_dict()
    architecture = (config.get("architectures") or [type(model).__name__])[0]
    _, reorder = SUPPORTED[architecture]
    _, file_type_name = QUANTS[plan.quant]
    partial = path.with_name(path.name + ".partial")
    writer = gguf.GGUFWriter(str(partial), plan.architecture)
    try:
        _add_hyper_parameters(writer, config, plan.architecture, int(gguf.LlamaFileType[file_type_name]), name)
        tokenizer.add_to(writer)
        for gguf_name, _, shape, type_name in plan.tensors:
            qtype = gguf.GGMLQuantizationType[type_name]
            if type_name in ("F32", "F16"):
                dtype = np.float32 if type_name == "F32" else np.float16
                writer.add_tensor_info(gguf_name, shape, np.dtype(dtype), math.prod(shape) * np.dtype(dtype).itemsize)
            else:
                byte_shape = gguf.quant_shape_to_byte_shape(shape, qtype)
                writer.add_tensor_info(gguf_name, byte_shape, np.dtype(np.uint8), math.prod(byte_shape), raw_dtype=qtype)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        written = 0
        total = len(plan.tensors)
        for index, (gguf_name, data, _) in enumerate(_tensor_data(model, plan, config, reorder), start=1):
            writer.write_tensor_data(data)
            written += data.nbytes
            on_tensor(index, total, written)
        writer.close()
    except BaseException:
        writer.close()
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)
    return path.stat().st_size
