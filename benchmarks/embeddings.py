"""Reference embeddings of the default model through sentence-transformers, cached on disk.

One forward pass per batch returns every layer's hidden states, so the same run gives
- the model's own sentence embedding (`sentence_transformers` output: mean pooling + Normalize), and
- the mean-pooled output of each truncated depth 1..L (the 2D-Matryoshka "layer" axis; AnglE's
  `truncate_layer(k)` keeps encoder layers [:k], whose output is hidden_states[k]).
Caches are .npy files keyed by a hash of (model files, texts, prompt, max_seq_length) under
benchmarks/data/cache/, so quality.py, ann_vectors.py and reruns never embed the same text twice.
Texts are embedded longest first by their tokenized length (truncated at max_seq_length), so each batch
is padded to about its own length; results go back in input order.
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


CHUNK = 2048  # texts per resumable piece: an interrupted run keeps every finished piece


def token_lengths(texts: list[str]) -> np.ndarray:
    """Each text's token count as the model sees it ([CLS] ... [SEP], truncated at max_seq_length)."""
    m = model()
    ids = m.tokenizer(texts, add_special_tokens=True, truncation=True, max_length=m.max_seq_length)["input_ids"]
    return np.array([len(x) for x in ids], dtype=np.int64)


def _chunked(texts: list[str], stem: Path, compute) -> list[dict]:
    """Runs compute(list_of_texts) -> dict of arrays over chunks of the texts sorted by tokenized length,
    longest first. SentenceTransformer.encode sorts by character count, a loose proxy here: on the
    debian-pkgdesc corpus, batches of 64 in character order carry 1.36x the real tokens (padding), in
    token order 1.003x. Each chunk is saved as <stem>.partNNN.npz with the indices it holds, so a killed
    run resumes; a part whose indices differ (another ordering) is recomputed, never misplaced."""
    order = np.argsort(-token_lengths(texts), kind="stable")
    pieces, start_time, done = [], time.time(), 0
    n_chunks = (len(texts) + CHUNK - 1) // CHUNK
    for c in range(n_chunks):
        idx = order[c * CHUNK:(c + 1) * CHUNK]
        part = Path(f"{stem}.part{c:03d}.npz")
        if part.exists():
            saved = dict(np.load(part))
            if np.array_equal(saved.pop("index", None), idx):
                pieces.append((idx, saved))
                continue
        arrays = compute([texts[i] for i in idx])
        np.savez(f"{stem}.partial.npz", index=idx, **arrays)
        os.replace(f"{stem}.partial.npz", part)
        pieces.append((idx, arrays))
        done += len(idx)
        print(f"  {stem.name}: chunk {c + 1}/{n_chunks} ({done / (time.time() - start_time):.0f} texts/s)", file=sys.stderr)
    return pieces


def _cleanup(stem: Path) -> None:
    for part in stem.parent.glob(stem.name + ".part*.npz"):
        part.unlink()


def encode_layers(texts: list[str], name: str, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
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

    def compute(chunk: list[str]) -> dict:
        transformer.auto_model.config.output_hidden_states = True
        n_layers = transformer.auto_model.config.num_hidden_layers
        final = np.zeros((len(chunk), m.get_embedding_dimension()), dtype=np.float32)
        layers = np.zeros((n_layers, len(chunk), final.shape[1]), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(chunk), batch_size):
                features = m.preprocess(chunk[start:start + batch_size])
                out = m(features)
                mask = features["attention_mask"].unsqueeze(-1).float()
                denom = mask.sum(1).clamp(min=1e-9)
                for k in range(1, n_layers + 1):
                    layers[k - 1, start:start + batch_size] = ((out["all_layer_embeddings"][k] * mask).sum(1) / denom).numpy()
                final[start:start + batch_size] = out["sentence_embedding"].numpy()
        transformer.auto_model.config.output_hidden_states = False
        return {"final": final, "layers": layers}

    pieces = _chunked(texts, stem, compute)
    n_layers = pieces[0][1]["layers"].shape[0]
    final = np.zeros((len(texts), pieces[0][1]["final"].shape[1]), dtype=np.float32)
    layers = np.lib.format.open_memmap(f"{stem}.layers.partial.npy", mode="w+", dtype=np.float32, shape=(n_layers, len(texts), final.shape[1]))
    for idx, arrays in pieces:
        final[idx] = arrays["final"]
        layers[:, idx] = arrays["layers"]
    layers.flush(); del layers
    os.replace(f"{stem}.layers.partial.npy", f"{stem}.layers.npy")
    np.save(f"{stem}.final.npy", final)
    _cleanup(stem)
    return final, np.load(f"{stem}.layers.npy", mmap_mode="r")


def encode(texts: list[str], name: str, batch_size: int = 64) -> np.ndarray:
    """The sentence-transformers embedding only (unit norm), cached (and resumable) like encode_layers."""
    CACHE.mkdir(parents=True, exist_ok=True)
    stem = CACHE / f"{name}-{_key(texts, 'final')}"
    if Path(f"{stem}.npy").exists():
        return np.load(f"{stem}.npy")
    pieces = _chunked(texts, stem, lambda chunk: {"final": model().encode(
        chunk, batch_size=batch_size, convert_to_numpy=True, show_progress_bar=False).astype(np.float32)})
    vectors = np.zeros((len(texts), pieces[0][1]["final"].shape[1]), dtype=np.float32)
    for idx, arrays in pieces:
        vectors[idx] = arrays["final"]
    np.save(f"{stem}.npy", vectors)
    _cleanup(stem)
    return vectors


def truncated(layers: np.ndarray, layer: int, dims: int) -> np.ndarray:
    """2D-Matryoshka sub-embedding: depth `layer` (1-based), first `dims` components, unit norm."""
    v = np.asarray(layers[layer - 1, :, :dims], dtype=np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
