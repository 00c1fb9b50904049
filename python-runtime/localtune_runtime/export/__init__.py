"""Exports of a finished run, in the formats people run models with.

- `adapter`: the PEFT adapter and the tokenizer, as training saved them (LoRA and QLoRA runs).
- `merged`: the base model with the adapter merged in (or the fully finetuned model) as
  safetensors shards, the tokenizer and a generation_config whose EOS is the token the run
  trained the model to end with; loads with `AutoModelForCausalLM.from_pretrained`.
- `gguf`: one file for llama.cpp, Ollama and LM Studio, written with the `gguf` package: llama.cpp's
  tensor names, the tokenizer (tokens, merges or scores, token types, special ids) and the chat
  template in the metadata, in one of the types the `gguf` package can write.

Every export carries a reference: a few training-format prompts, their token ids as the runtime
encodes them, and the greedy answer of the trained model in transformers. `adapter` and `merged`
exports are loaded back from disk here and must give the same answer; a GGUF file is loaded by
the app in llama.cpp (node-llama-cpp) and compared against the same reference.

Modules: `command` (the `export` subcommand), `trained_model` (loading and merging), `reference`
(prompts and greedy answers), `merged` (adapter and merged folders), `gguf_writer` (architecture,
tensors, quantisation) and `gguf_tokenizer` (tokenizer metadata).
"""

FORMATS = ("adapter", "merged", "gguf")

# The GGUF types the gguf package can write, smallest loss first:
# name -> (gguf.GGMLQuantizationType name, gguf.LlamaFileType name).
QUANTS = {
    "f32": ("F32", "ALL_F32"),
    "f16": ("F16", "MOSTLY_F16"),
    "bf16": ("BF16", "MOSTLY_BF16"),
    "q8_0": ("Q8_0", "MOSTLY_Q8_0"),
    "q5_1": ("Q5_1", "MOSTLY_Q5_1"),
    "q5_0": ("Q5_0", "MOSTLY_Q5_0"),
    "q4_1": ("Q4_1", "MOSTLY_Q4_1"),
    "q4_0": ("Q4_0", "MOSTLY_Q4_0"),
}
