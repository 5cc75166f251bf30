#!/usr/bin/env python3
"""Writes tiny-random-llama.gguf: a llama-architecture GGUF with random weights for the tests.

A third real model for the real llama-server, different in shape from SmolLM2 (2 layers, n_embd
64, 4 heads, 2 KV heads, feed-forward 128, context 256) and a few MB. Its answers are garbage;
what matters is that llama-server loads it and answers a chat like any other model. The tokenizer
(every `tokenizer.*` key: tokens, scores, token types, merges, bos/eos ids, chat template) is
copied from a real GGUF (SmolLM2-135M-Instruct.Q4_1.gguf) so the vocabulary size matches the
token embedding and the chat template renders. The RNG is seeded: the same inputs give the same
bytes.

Needs the `gguf` package from PyPI (with numpy); scripts/prepare-test-engines.sh runs this with
its own venv:
  python make-tiny-gguf.py --tokenizer-from SmolLM2-135M-Instruct.Q4_1.gguf --out tiny-random-llama.gguf
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

try:
    import numpy as np
    from gguf import GGUFReader, GGUFValueType, GGUFWriter, LlamaFileType
except ImportError as e:
    sys.exit(f"make-tiny-gguf: cannot import gguf/numpy ({e}); pip install gguf")

NAME = "tiny-random-llama"
N_LAYER = 2
N_EMBD = 64
N_HEAD = 4
N_HEAD_KV = 2
N_FF = 128
N_CTX = 256
HEAD_DIM = N_EMBD // N_HEAD


def copy_tokenizer(reader: GGUFReader, writer: GGUFWriter) -> int:
    """Copies every tokenizer.* key; returns the vocabulary size (the number of tokens)."""
    vocab = 0
    for name, field in reader.fields.items():
        if not name.startswith("tokenizer."):
            continue
        vtype = field.types[0]
        sub_type = field.types[-1] if vtype == GGUFValueType.ARRAY else None
        value = field.contents()
        writer.add_key_value(name, value, vtype, sub_type)
        if name == "tokenizer.ggml.tokens":
            vocab = len(value)
    if vocab == 0:
        sys.exit("make-tiny-gguf: the tokenizer source has no tokenizer.ggml.tokens")
    return vocab


def add_tensors(writer: GGUFWriter, vocab: int, seed: int) -> None:
    """Random F16 matrices (numpy shape (rows, cols) is GGUF ne [cols, rows]) and F32 norm weights of 1."""
    rng = np.random.default_rng(seed)

    def matrix(name: str, rows: int, cols: int) -> None:
        writer.add_tensor(name, (rng.standard_normal((rows, cols)) * 0.02).astype(np.float16))

    def norm(name: str) -> None:
        writer.add_tensor(name, np.ones(N_EMBD, dtype=np.float32))

    # No output.weight: llama.cpp ties the output projection to token_embd, as SmolLM2 does.
    matrix("token_embd.weight", vocab, N_EMBD)
    norm("output_norm.weight")
    kv = N_HEAD_KV * HEAD_DIM
    for i in range(N_LAYER):
        norm(f"blk.{i}.attn_norm.weight")
        matrix(f"blk.{i}.attn_q.weight", N_EMBD, N_EMBD)
        matrix(f"blk.{i}.attn_k.weight", kv, N_EMBD)
        matrix(f"blk.{i}.attn_v.weight", kv, N_EMBD)
        matrix(f"blk.{i}.attn_output.weight", N_EMBD, N_EMBD)
        norm(f"blk.{i}.ffn_norm.weight")
        matrix(f"blk.{i}.ffn_gate.weight", N_FF, N_EMBD)
        matrix(f"blk.{i}.ffn_up.weight", N_FF, N_EMBD)
        matrix(f"blk.{i}.ffn_down.weight", N_EMBD, N_FF)


def write(tokenizer_from: Path, out: Path, seed: int) -> None:
    reader = GGUFReader(tokenizer_from)
    temp = out.with_name(f"{out.name}.tmp-{os.getpid()}")
    writer = GGUFWriter(temp, "llama")
    try:
        writer.add_name(NAME)
        writer.add_file_type(LlamaFileType.MOSTLY_F16)
        writer.add_context_length(N_CTX)
        writer.add_embedding_length(N_EMBD)
        writer.add_block_count(N_LAYER)
        writer.add_feed_forward_length(N_FF)
        writer.add_head_count(N_HEAD)
        writer.add_head_count_kv(N_HEAD_KV)
        writer.add_rope_dimension_count(HEAD_DIM)
        writer.add_rope_freq_base(10000.0)
        writer.add_layer_norm_rms_eps(1e-5)
        vocab = copy_tokenizer(reader, writer)
        writer.add_vocab_size(vocab)
        add_tensors(writer, vocab, seed)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        # Written under a temporary name and renamed: a killed run never leaves half a model.
        temp.replace(out)
    finally:
        temp.unlink(missing_ok=True)
    print(f"wrote {out} ({out.stat().st_size} bytes, vocab {vocab}, {N_LAYER} layers, n_embd {N_EMBD})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokenizer-from", required=True, type=Path, help="GGUF whose tokenizer.* keys are copied")
    ap.add_argument("--out", required=True, type=Path, help="GGUF file to write")
    ap.add_argument("--seed", type=int, default=0, help="RNG seed for the weights (default 0)")
    args = ap.parse_args()
    if not args.tokenizer_from.is_file():
        sys.exit(f"make-tiny-gguf: {args.tokenizer_from} does not exist")
    write(args.tokenizer_from, args.out, args.seed)


if __name__ == "__main__":
    main()
