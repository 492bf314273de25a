"""Tokenizer parity fixtures from Hugging Face's fast (Rust) tokenizer.

Run with the reference venv:
    /root/.cache/anglevec/venv/bin/python Tests/Fixtures/make_tokenizer_fixtures.py

Writes Tests/Fixtures/tokenizer/:
  minilm.json  per text of texts.all_texts(): ids, type_ids, offsets from
               transformers.AutoTokenizer (fast) on the default model folder, truncated at 256
               (sentence-transformers' max_seq_length) and again at a custom length of 16.
  cased/<config>/  tiny WordPiece tokenizers (tokenizer.json + vocab.txt + tokenizer_config.json)
               covering lowercase=False with strip_accents True/False, and lowercase=True with
               strip_accents=False; cased.json holds their expected encodings and max lengths.
"""

import json
import os
import shutil
import sys
import tempfile

from transformers import AutoTokenizer
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import texts  # noqa: E402

OUT = os.path.join(HERE, "tokenizer")
MODEL = os.path.join(os.environ.get("ANGLEVEC_HOME", os.path.expanduser("~/.cache/anglevec")),
                     "models", "all-MiniLM-L6-v2")
MAX_LENGTH = 256  # sentence_bert_config.json max_seq_length
CUSTOM_LENGTH = 16


def encode_all(tok, all_texts, max_length):
    cases = []
    for text in all_texts:
        enc = tok(text, truncation=True, max_length=max_length, return_offsets_mapping=True,
                  return_token_type_ids=True)
        cases.append({
            "text": text,
            "ids": enc["input_ids"],
            "type_ids": enc["token_type_ids"],
            "offsets": [list(o) for o in enc["offset_mapping"]],
        })
    return cases


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=None, separators=(",", ":"))
        f.write("\n")


def sentence_transformers_max_length(folder):
    """sentence-transformers' rule: sentence_bert_config max_seq_length, else
    min(tokenizer model_max_length, config max_position_embeddings)."""
    sbert = os.path.join(folder, "sentence_bert_config.json")
    if os.path.exists(sbert):
        return json.load(open(sbert))["max_seq_length"]
    limit = json.load(open(os.path.join(folder, "tokenizer_config.json")))["model_max_length"]
    config = os.path.join(folder, "config.json")
    if os.path.exists(config):
        limit = min(limit, json.load(open(config))["max_position_embeddings"])
    return limit


def make_minilm(all_texts):
    tok = AutoTokenizer.from_pretrained(MODEL)
    assert tok.is_fast
    write_json(os.path.join(OUT, "minilm.json"), {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "tokenizers_version": __import__("tokenizers").__version__,
        "max_length": MAX_LENGTH,
        "expected_max_length": sentence_transformers_max_length(MODEL),
        "cases": encode_all(tok, all_texts, MAX_LENGTH),
        "custom_max_length": CUSTOM_LENGTH,
        "custom_cases": encode_all(tok, all_texts, CUSTOM_LENGTH),
    })


def train_tiny_vocab(all_texts, workdir):
    """A ~700-entry cased WordPiece vocabulary trained on the fixture texts themselves."""
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=700, limit_alphabet=300,
        special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tok.train_from_iterator(all_texts, trainer)
    vocab = sorted(tok.get_vocab().items(), key=lambda kv: kv[1])
    path = os.path.join(workdir, "vocab.txt")
    with open(path, "w", encoding="utf-8") as f:
        for token, _ in vocab:
            f.write(token + "\n")
    return path


CASED_CONFIGS = [
    # folder, lowercase, strip_accents, model_max_length, config.json max_position_embeddings
    ("keep-accents", False, False, 512, 64),
    ("strip-accents", False, True, 128, None),
    ("lowercase-keep-accents", True, False, 512, None),
]


def make_cased(all_texts):
    workdir = tempfile.mkdtemp()
    vocab = train_tiny_vocab(all_texts, workdir)
    root = os.path.join(OUT, "cased")
    shutil.rmtree(root, ignore_errors=True)
    configs = []
    for name, lowercase, strip, model_max_length, max_positions in CASED_CONFIGS:
        folder = os.path.join(root, name)
        os.makedirs(folder)
        tok = Tokenizer(models.WordPiece.from_file(vocab, unk_token="[UNK]"))
        tok.normalizer = normalizers.BertNormalizer(lowercase=lowercase, strip_accents=strip)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
            special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
        tok.add_special_tokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
        tok.save(os.path.join(folder, "tokenizer.json"))
        shutil.copy(vocab, os.path.join(folder, "vocab.txt"))
        write_json(os.path.join(folder, "tokenizer_config.json"), {
            "tokenizer_class": "BertTokenizer", "do_lower_case": lowercase, "strip_accents": strip,
            "tokenize_chinese_chars": True, "model_max_length": model_max_length,
            "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]",
            "cls_token": "[CLS]", "mask_token": "[MASK]"})
        if max_positions is not None:
            write_json(os.path.join(folder, "config.json"),
                       {"model_type": "bert", "max_position_embeddings": max_positions})
        reloaded = AutoTokenizer.from_pretrained(folder)
        assert reloaded.is_fast
        normalizer = json.loads(reloaded.backend_tokenizer.to_str())["normalizer"]
        assert (normalizer["lowercase"], normalizer["strip_accents"]) == (lowercase, strip), normalizer
        configs.append({
            "folder": "cased/" + name,
            "lowercase": lowercase,
            "strip_accents": strip,
            "expected_max_length": sentence_transformers_max_length(folder),
            "cases": encode_all(reloaded, all_texts, 512),
        })
    shutil.rmtree(workdir)
    write_json(os.path.join(OUT, "cased.json"), {"configs": configs})


def main():
    os.makedirs(OUT, exist_ok=True)
    all_texts = texts.all_texts()
    make_minilm(all_texts)
    make_cased(all_texts)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
