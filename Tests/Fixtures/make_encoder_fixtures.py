"""Generates the encoder fixtures in Tests/Fixtures/encoder/ (run with the anglevec venv python).

(1) all-MiniLM-L6-v2 on texts.py: HF token ids (max length 256) and angle_emb's pooled outputs
    for each pooling strategy x layers {2,3,4,6} (full 384 dims; the Swift test derives the dims views
    by truncating as angle_emb's `embedding_size` does), plus sentence-transformers' `encode`.
    Each text is run on its own (batch of one) because angle_emb's `max` pooling multiplies by the
    mask before the max, so in a padded batch a padded row's zeros leak into the max; the native
    pooler masks padding properly and so matches angle_emb's unpadded output.
(2) A tiny random BertModel saved as safetensors F32, F16 and BF16, with every hidden state for
    fixed id batches that include padding and token type 1.

Layout: *.bin are little-endian arrays; *.json indexes say offsets and shapes.
"""
import copy
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "encoder")
sys.path.insert(0, HERE)
from texts import all_texts  # noqa: E402

MODEL = os.path.expanduser(os.environ.get("ANGLEVEC_MODEL", "~/.cache/anglevec/models/all-MiniLM-L6-v2"))
LAYERS = [2, 3, 4, 6]
POOLINGS = ["cls", "cls_avg", "cls_max", "last", "avg", "max"]
MAX_LENGTH = 256


def default_model():
    from angle_emb import AnglE
    from angle_emb.utils import get_pooling
    from sentence_transformers import SentenceTransformer
    from transformers import AutoTokenizer

    torch.manual_seed(0)
    texts = all_texts()
    tok = AutoTokenizer.from_pretrained(MODEL)
    angle = AnglE.from_pretrained(MODEL, pooling_strategy="avg", max_length=MAX_LENGTH)
    angle.backbone.eval()
    angle.backbone.float()
    n_layers = len(angle.backbone.encoder.layer)
    assert n_layers == 6

    ids_flat, id_offsets = [], [0]
    pooled = np.zeros((len(POOLINGS), len(LAYERS), len(texts), 384), dtype=np.float32)
    with torch.no_grad():
        for t, text in enumerate(texts):
            inputs = tok([text], padding="longest", max_length=MAX_LENGTH, truncation=True, return_tensors="pt")
            ids_flat.extend(inputs["input_ids"][0].tolist())
            id_offsets.append(len(ids_flat))
            # angle_emb's own Pooler: all hidden states (index 0 = embeddings, i = after i layers).
            hs = angle.pooler(dict(inputs), return_all_layer_outputs=True)
            assert len(hs) == n_layers + 1
            for p, strategy in enumerate(POOLINGS):
                for li, layer in enumerate(LAYERS):
                    out = get_pooling(hs[layer], inputs, strategy, angle.pooler.padding_side)
                    pooled[p, li, t] = out[0].float().numpy()

        # truncate_layer(n) keeps encoder.layer[:n]: its output is hidden_states[n] of the full model.
        # Check that, and that encode(embedding_size=d) is the first d dims, on a few texts.
        for layer in [2, 4]:
            short = copy.deepcopy(angle).truncate_layer(layer_index=layer)
            for t in [0, 1, 25]:
                got = short.encode([texts[t]], max_length=MAX_LENGTH, embedding_size=64)
                want = pooled[POOLINGS.index("avg"), LAYERS.index(layer), t, :64]
                assert np.allclose(got[0], want, atol=1e-5), (layer, t)
        full = angle.encode(texts[:4], max_length=MAX_LENGTH, prompt="Represent: {text}")
        assert full.shape == (4, 384)

    st = SentenceTransformer(MODEL, device="cpu")
    st_out = st.encode(texts, batch_size=16, convert_to_numpy=True).astype(np.float32)

    ids = np.asarray(ids_flat, dtype=np.int32)
    with open(os.path.join(OUT, "minilm_ids.bin"), "wb") as f:
        f.write(ids.astype("<i4").tobytes())
    with open(os.path.join(OUT, "minilm_pooled.bin"), "wb") as f:
        f.write(pooled.astype("<f4").tobytes())
    with open(os.path.join(OUT, "minilm_st.bin"), "wb") as f:
        f.write(st_out.astype("<f4").tobytes())
    index = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "texts": len(texts),
        "text_list": texts,
        "max_length": MAX_LENGTH,
        "id_offsets": id_offsets,
        "poolings": POOLINGS,
        "layers": LAYERS,
        "dims": 384,
        "pooled_shape": list(pooled.shape),
        "pooled_layout": "[pooling][layer][text][dim], angle_emb get_pooling on hidden_states[layer], unnormalized",
        "st_layout": "[text][dim], SentenceTransformer.encode (mean pooling + Normalize)",
    }
    with open(os.path.join(OUT, "minilm.json"), "w") as f:
        json.dump(index, f, indent=1)


def tiny_model():
    from safetensors.torch import save_file
    from transformers import BertConfig, BertModel

    torch.manual_seed(1234)
    config = BertConfig(vocab_size=120, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=64, max_position_embeddings=64, type_vocab_size=2,
                        hidden_act="gelu", layer_norm_eps=1e-12)
    model = BertModel(config).eval()
    # Random init has LayerNorm = identity and zero biases: perturb so every parameter matters.
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.add_(torch.randn_like(p) * 0.1)

    batches = [
        # [ids], [type ids]; 0 is [PAD]
        ([[2, 11, 12, 13, 3], [2, 40, 41, 3, 0], [2, 3, 0, 0, 0]],
         [[0, 0, 0, 0, 0], [0, 0, 1, 1, 0], [0, 0, 0, 0, 0]]),
        ([[2] + list(range(5, 5 + 30)) + [3]], [[0] * 16 + [1] * 16]),
        ([[2, 119, 118, 117, 3, 0, 0, 0, 0], [2, 7, 3, 0, 0, 0, 0, 0, 0]],
         [[0] * 9, [0] * 9]),
    ]

    def cast_state(dtype):
        sd = {k: v.detach().clone().to(dtype).contiguous() for k, v in model.state_dict().items()}
        return sd

    for name, dtype in [("f32", torch.float32), ("f16", torch.float16), ("bf16", torch.bfloat16)]:
        folder = os.path.join(OUT, f"tiny-bert-{name}")
        os.makedirs(folder, exist_ok=True)
        sd = cast_state(dtype)
        # keep the integer buffer as the real checkpoints do (I64, ignored by the loader)
        if "embeddings.position_ids" in model.state_dict():
            sd["embeddings.position_ids"] = model.state_dict()["embeddings.position_ids"].clone()
        save_file(sd, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
        config.to_json_file(os.path.join(folder, "config.json"))
        # The reference runs in f32 on the weights as stored (rounded to f16/bf16).
        ref = copy.deepcopy(model)
        ref.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in sd.items()}, strict=False)
        ref.float().eval()
        blobs, entries, offset = [], [], 0
        with torch.no_grad():
            for ids, types in batches:
                ids_t = torch.tensor(ids)
                mask = (ids_t != 0).long()
                mask[:, 0] = 1
                out = ref(input_ids=ids_t, token_type_ids=torch.tensor(types), attention_mask=mask,
                          output_hidden_states=True)
                hs = torch.stack(list(out.hidden_states)).numpy().astype("<f4")  # [layers+1, B, L, H]
                assert np.allclose(hs[-1], out.last_hidden_state.numpy(), atol=0)
                blobs.append(hs.tobytes())
                entries.append({"ids": ids, "type_ids": types, "lengths": mask.sum(1).tolist(),
                                "offset": offset, "shape": list(hs.shape)})
                offset += hs.size
        with open(os.path.join(folder, "reference.bin"), "wb") as f:
            f.write(b"".join(blobs))
        with open(os.path.join(folder, "reference.json"), "w") as f:
            json.dump({"layout": "float32 [hidden_states(layers+1)][batch][seq][hidden]; offset in floats",
                       "batches": entries}, f, indent=1)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    tiny_model()
    if "--tiny-only" not in sys.argv:
        default_model()
    print("wrote", OUT)
