"""Generates Tests/Fixtures/index/embeddings.npy: 2000 real 384-d sentence embeddings
(all-MiniLM-L6-v2, L2-normalized, stored as float16) for the HNSW recall tests.

Texts: paragraphs of Python standard-library docstrings (real, varied English prose that
ships with the interpreter, so the fixture is reproducible offline). Rows 0..1799 are the
indexed base, rows 1800..1999 the queries.

Run: /root/.cache/anglevec/venv/bin/python Tests/Fixtures/index/make_fixture.py
"""
import importlib, inspect, os, pkgutil, re, sys
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.expanduser("~/.cache/anglevec/models/all-MiniLM-L6-v2")
N = 2000

def paragraphs():
    seen = set()
    names = sorted(m.name for m in pkgutil.iter_modules() if m.module_finder.path.startswith(sys.base_prefix)
                   and not m.name.startswith("_") and m.name not in ("antigravity", "this", "idlelib", "turtledemo", "tkinter"))
    for name in names:
        try:
            mod = importlib.import_module(name)
        except Exception:
            continue
        objs = [mod] + [v for _, v in sorted(vars(mod).items(), key=lambda kv: kv[0]) if inspect.isfunction(v) or inspect.isclass(v)]
        for obj in objs:
            doc = inspect.getdoc(obj) or ""
            for p in doc.split("\n\n"):
                p = re.sub(r"\s+", " ", p).strip()
                if 40 <= len(p) <= 600 and p not in seen and not p.startswith((">>>", "..")):
                    seen.add(p)
                    yield p

def main():
    texts = []
    for p in paragraphs():
        texts.append(p)
        if len(texts) == N:
            break
    assert len(texts) == N, len(texts)
    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer(MODEL, device="cpu")
    emb = model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    np.save(os.path.join(HERE, "embeddings.npy"), emb.astype(np.float16))
    print("wrote", emb.shape)

if __name__ == "__main__":
    main()
