"""Tokenizer parity fixtures from Hugging Face's fast (Rust) tokenizer.

Run with the reference venv:
    /root/.cache/anglevec/venv/bin/python Tests/Fixtures/make_tokenizer_fixtures.py

Writes Tests/Fixtures/tokenizer/:
  minilm.json  per text of texts.all_texts(): ids, type_ids, offsets from
               transformers.AutoTokenizer (fast) on the default model folder, truncated at 256
               (sentence-transformers' max_seq_length), again at a custom length of 16, and
               seeded random texts mixing every character class (fuzz_cases, limit 1024).
  cased/<config>/  tiny WordPiece tokenizers (tokenizer.json + vocab.txt + tokenizer_config.json)
               covering lowercase=False with strip_accents True/False, and lowercase=True with
               strip_accents=False; cased.json holds their expected encodings and max lengths.
"""

import json
import os
import random
import shutil
import sys
import tempfile

from transformers import AutoTokenizer
from tokenizers import AddedToken, Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

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


# Scalar pools for the seeded fuzz texts: every class the BERT components treat differently.
FUZZ_POOLS = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" * 4,
    " " * 20 + "\t\n\r\x0b\x0c\x85\xa0\u2003\u3000\u2028",
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~¡§«»¿–—‘’“”„•…‰′″‹›※‽⁂、。「」『』【】〜・！？（）：；",
    "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝßĀāĂăĄąĆćČčĎďĒēĘęĚěĞğİıŁłŃńŇňŐőŒœŘřŚśŞşŠšŢţŤťŮůŰűŸŹźŻżŽžǅǈǋ",
    "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώϊϋΐΰΑΒΓΔΆΈΉΊΌΎΏςабвгдеёжзийклмнопрстуфхцчшщъыьэюяЁЙЇЎ",
    "\u0300\u0301\u0302\u0303\u0308\u030a\u0327\u0345\u05b7\u064e\u0903\u093f\u0e31\u0e48\u20dd\ufe0f\u200d",
    "我喜欢吃苹果東京日本首都中文字豈丽𠀀𠀁𪜀\U0002b820\U0002b91f\U0002b920\U00030000",  # 2B820–2B91F: not CJK for HF
    "한국어문장입니다가각갃각",
    "ひらがなカタカナがぎぐげごぱぴぷｶﾀｶﾅﾞﾟ",
    "ภาษาไทยเป็นสวยงาม",
    "مرحبابالعالمשלוםहिन्दीதமிழ்ქართულიአማርኛ",
    "😀👍🏽🚀👨‍👩‍👧‍👦🥰🫠∑≤∞→←€£¥©®™°±×÷½",
    "\x00\x01\x07\x1b\x7f\u200b\u200c\u00ad\ufeff\ufffd\ue000\U000e0041",
    "ＡＢＣａｂｃ１２３－，．ﬁﬂﬀǄǆΩÅK",
    "[CLS][SEP][MASK][UNK][PAD]",
]


def fuzz_texts(count=300, seed=1234):
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        length = rng.choice([1, 3, 8, 20, 60, 150])
        pools = rng.sample(FUZZ_POOLS, rng.randint(1, 4))
        text = ""
        while len(text) < length:
            pool = rng.choice(pools)
            if pool.startswith("[CLS]"):
                text += rng.choice(["[CLS]", "[SEP]", "[MASK]", "[UNK]", "[PAD]", "[", "]"])
            else:
                text += "".join(rng.choice(pool) for _ in range(rng.randint(1, 8)))
        out.append(text)
    # Words near max_input_chars_per_word (100), with and without accents.
    out += ["é" * 100, "é" * 101, "a\u0301" * 60, "ab" * 50 + " x", "中" * 150]
    return out


# Literal special tokens next to whitespace (lstrip/rstrip) and each other.
SPECIAL_TEXTS = ["a  [MASK]  b", "\t[MASK]\u3000x", "[MASK][MASK] [MASK]", "x[MASK]y", " [MASK] ",
                 "[SEP] [MASK]\n[CLS]", "é [MASK] é", "[MASK"]


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
        "fuzz_cases": encode_all(tok, fuzz_texts() + SPECIAL_TEXTS, 1024),
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
    # folder, lowercase, strip_accents, model_max_length, config.json max_position_embeddings,
    # sentence_bert_config.json (None: absent)
    ("keep-accents", False, False, 512, 64, None),
    ("strip-accents", False, True, 128, None, None),
    ("lowercase-keep-accents", True, False, 512, None, None),
    ("sbert-lowercase", False, False, 512, None, {"max_seq_length": 100, "do_lower_case": True}),
]


def sentence_transformers_lowercase(tok):
    """What sentence-transformers does for do_lower_case: a Lowercase normalizer in front
    (sentence_transformers/base/modules/transformer.py)."""
    normalizer = tok.backend_tokenizer.normalizer
    parts = [normalizers.Lowercase()]
    if isinstance(normalizer, normalizers.Sequence):
        parts += list(normalizer)
    elif normalizer is not None:
        parts.append(normalizer)
    tok.backend_tokenizer.normalizer = normalizers.Sequence(parts)


def make_cased(all_texts):
    workdir = tempfile.mkdtemp()
    # The trainer is not deterministic (Rust hash maps): reuse the committed vocabulary.
    committed = os.path.join(OUT, "cased", CASED_CONFIGS[0][0], "vocab.txt")
    if os.path.exists(committed):
        vocab = shutil.copy(committed, os.path.join(workdir, "vocab.txt"))
    else:
        vocab = train_tiny_vocab(all_texts, workdir)
    root = os.path.join(OUT, "cased")
    shutil.rmtree(root, ignore_errors=True)
    configs = []
    for name, lowercase, strip, model_max_length, max_positions, sbert in CASED_CONFIGS:
        folder = os.path.join(root, name)
        os.makedirs(folder)
        tok = Tokenizer(models.WordPiece.from_file(vocab, unk_token="[UNK]"))
        tok.normalizer = normalizers.BertNormalizer(lowercase=lowercase, strip_accents=strip)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
            special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
        # strip-accents also covers an lstrip/rstrip special token (swallows adjacent whitespace).
        stripping = name == "strip-accents"
        tok.add_special_tokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]",
                                AddedToken("[MASK]", lstrip=stripping, rstrip=stripping, special=True,
                                           normalized=False)])
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
        if sbert is not None:
            write_json(os.path.join(folder, "sentence_bert_config.json"), sbert)
        reloaded = AutoTokenizer.from_pretrained(folder)
        assert reloaded.is_fast
        normalizer = json.loads(reloaded.backend_tokenizer.to_str())["normalizer"]
        assert (normalizer["lowercase"], normalizer["strip_accents"]) == (lowercase, strip), normalizer
        if sbert is not None and sbert.get("do_lower_case"):
            sentence_transformers_lowercase(reloaded)
        configs.append({
            "folder": "cased/" + name,
            "lowercase": lowercase,
            "strip_accents": strip,
            "sbert_do_lower_case": bool(sbert and sbert.get("do_lower_case")),
            "expected_max_length": sentence_transformers_max_length(folder),
            "cases": encode_all(reloaded, all_texts, 512),
            "fuzz_cases": encode_all(reloaded, fuzz_texts(count=100, seed=len(configs)) + SPECIAL_TEXTS, 1024),
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
