"""Reference embeddings of the default model through sentence-transformers, cached on disk.

One forward pass per batch returns every layer's hidden states, so the same run gives
- the model's own sentence embedding (`sentence_transformers` output: mean pooling + Normalize), and
- the mean-pooled output of each truncated depth 1..L (the 2D-Matryoshka "layer" axis; AnglE's
  `truncate_layer(k)` keeps encoder layers [:k], whose output is hidden_states[k]).
Caches are .npy files keyed by a hash of (model files, texts, prompt, max_seq_length) under
benchmarks/data/cache/, so quality.py, ann_vectors.py and reruns never embed the same text twice.
Runs on torch CPU with ANGLEVEC_BENCH_THREADS threads (default 2).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from common import DATA, MODEL_DIR

CACHE = DATA / "cache"
_model = None


def model():
    global _model
    if _model is None:
        import torch
        from sentence_transformers import SentenceTransformer
        torch.set_num_threads(int(os.environ.get("ANGLEVEC_BENCH_THREADS", "2")))
        _model = SentenceTransformer(str(MODEL_DIR), device="cpu", local_files_only=True)
        _model.eval()
    return _model


def _key(texts: list[str], tag: str) -> str:
    h = hashlib.sha256()
    h.update(tag.encode())
    h.update((MODEL_DIR / "model.safetensors").stat().st_size.to_bytes(8, "little"))
    for t in texts:
        h.update(t.encode("utf-8")); h.update(b"\0")
    return h.hexdigest()[:16]


def encode_layers(texts: list[str], name: str, batch_size: int = 64, log_every: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """(final, layers): final = the sentence-transformers embedding (N × d, unit norm); layers =
    mean-pooled hidden state after encoder layer k for k = 1..L (L × N × d, float32, not normalised).
    Cached as benchmarks/data/cache/<name>-<hash>.{final,layers}.npy."""
    import torch
    CACHE.mkdir(parents=True, exist_ok=True)
    stem = CACHE / f"{name}-{_key(texts, 'layers')}"
    if Path(f"{stem}.final.npy").exists() and Path(f"{stem}.layers.npy").exists():
        return np.load(f"{stem}.final.npy"), np.load(f"{stem}.layers.npy", mmap_mode="r")
    m = model()
    transformer = m[0]
    transformer.auto_model.config.output_hidden_states = True
    n_layers = transformer.auto_model.config.num_hidden_layers
    dim = m.get_embedding_dimension()
    final = np.zeros((len(texts), dim), dtype=np.float32)
    layers = np.lib.format.open_memmap(f"{stem}.layers.partial.npy", mode="w+", dtype=np.float32, shape=(n_layers, len(texts), dim))
    # Longest first in length-sorted batches, as SentenceTransformer.encode does: little padding waste.
    order = np.argsort([-len(t) for t in texts], kind="stable")
    start_time, done = time.time(), 0
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            idx = order[start:start + batch_size]
            features = m.preprocess([texts[i] for i in idx])
            out = m(features)
            mask = features["attention_mask"].unsqueeze(-1).float()
            denom = mask.sum(1).clamp(min=1e-9)
            for k in range(1, n_layers + 1):
                layers[k - 1, idx] = ((out["all_layer_embeddings"][k] * mask).sum(1) / denom).numpy()
            final[idx] = out["sentence_embedding"].numpy()
            done += len(idx)
            if log_every and (done // batch_size) % max(1, log_every // batch_size) == 0:
                rate = done / (time.time() - start_time)
                print(f"  {name}: {done}/{len(texts)} ({rate:.0f} texts/s)", file=sys.stderr)
    transformer.auto_model.config.output_hidden_states = False
    layers.flush(); del layers
    os.replace(f"{stem}.layers.partial.npy", f"{stem}.layers.npy")
    np.save(f"{stem}.final.npy", final)
    return final, np.load(f"{stem}.layers.npy", mmap_mode="r")


def encode(texts: list[str], name: str, batch_size: int = 64) -> np.ndarray:
    """The sentence-transformers embedding only (unit norm), cached like encode_layers."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{name}-{_key(texts, 'final')}.npy"
    if path.exists():
        return np.load(path)
    vectors = model().encode(texts, batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False)
    np.save(path, vectors.astype(np.float32))
    return vectors.astype(np.float32)


def truncated(layers: np.ndarray, layer: int, dims: int) -> np.ndarray:
    """2D-Matryoshka sub-embedding: depth `layer` (1-based), first `dims` components, unit norm."""
    v = np.asarray(layers[layer - 1, :, :dims], dtype=np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
