"""One-off check that a checkpoint anglevec writes loads unchanged in sentence-transformers, transformers and
angle_emb, and embeds as anglevec does (not run by the Swift tests, which cannot run Python):

    ANGLEVEC_KEEP_CHECKPOINT=/tmp/ckpt swift test --filter TrainingCheckpointTests/testCheckpointFolderIsCompleteAndEmbedsIdentically
    python Tests/Fixtures/training/verify_checkpoint.py /tmp/ckpt
"""
import json, sys, numpy as np, torch
d = sys.argv[1]
ref = json.load(open(f"{d}/anglevec_embeddings.json"))
texts, want = ref["texts"], np.array(ref["embeddings"])
from sentence_transformers import SentenceTransformer
st = SentenceTransformer(d, device="cpu")
got = st.encode(texts, convert_to_numpy=True)
print("sentence-transformers max|diff|", np.abs(got - want).max(), "prompts", st.prompts, "max_seq_length", st.max_seq_length)
from transformers import AutoModel, AutoTokenizer
tok = AutoTokenizer.from_pretrained(d); m = AutoModel.from_pretrained(d).eval()
b = tok(texts, padding=True, return_tensors="pt")
with torch.no_grad(): h = m(**b).last_hidden_state
mask = b["attention_mask"].unsqueeze(-1).float(); mean = (h * mask).sum(1) / mask.sum(1)
mean = torch.nn.functional.normalize(mean, dim=-1).numpy()
print("transformers mean-pool max|diff|", np.abs(mean - want).max())
from angle_emb import AnglE
a = AnglE.from_pretrained(d, pooling_strategy="avg")
v = a.encode(texts, to_numpy=True, normalize_embedding=True) if "normalize_embedding" in AnglE.encode.__code__.co_varnames else a.encode(texts, to_numpy=True)
v = v / np.linalg.norm(v, axis=1, keepdims=True)
print("angle_emb avg max|diff|", np.abs(v - want).max())
