"""The shared text set for every numeric fixture (tokenizer and encoder parity).

Covers: short and long (truncated) passages, retrieval queries with AnglE's prompt,
accents, CJK, emoji, control characters, odd whitespace and an empty string.
"""

RETRIEVAL_PROMPT = "Represent this sentence for searching relevant passages: {text}"

_LONG_WORDS = (
    "The quick brown fox jumps over the lazy dog while the database engine flushes its "
    "write-ahead log, compacts pages, and rebuilds a navigable small-world graph of "
    "sentence embeddings; meanwhile, researchers measure nDCG@10 on held-out queries. "
)

SHORT = [
    "Hello world!",
    "A man is playing a guitar.",
    "The cat sits outside",
    "How do I install a Debian package without internet access?",
    "lightweight HTTP server written in C",
    "Python bindings for the LMDB key-value store",
    "I love pizza & pasta.",
    "What's the capital of France?",
    "don't stop-believing... (really)",
    "e-mail: someone@example.com, URL: https://example.org/path?q=1",
    "Numbers: 3.14159, 1,000,000 and -42",
    "UPPER lower MiXeD case",
    "unaffable unbelievable antidisestablishmentarianism",
    "supercalifragilisticexpialidocious" * 3,
    "tab\tseparated\tvalues and\nnew lines\r\nhere",
    "   leading and trailing spaces   ",
    "multiple     internal      spaces",
    "",
    " ",
    "a",
]

ACCENTS = [
    "Café déjà vu, naïve façade, résumé",
    "Müller straße Ölgemälde",
    "El niño pidió jalapeños en el café",
    "Ångström Øresund æble",
    "Zoë's coöperation",
]

CJK = [
    "我喜欢吃苹果",
    "東京は日本の首都です",
    "한국어 문장입니다",
    "mixed 中文 and English 文字",
]

EMOJI_AND_SYMBOLS = [
    "I love it 😀👍🏽",
    "rocket 🚀 launch at 10:00",
    "math ∑ x² ≤ ∞ and arrows → ←",
    "currency € £ ¥ $",
    "family 👨‍👩‍👧‍👦 emoji (ZWJ sequence)",
]

CONTROL = [
    "control\x00char\x01acters\x7f",
    "zero\u200bwidth\u200cjoiners\u200d",
    "soft\u00adhyphen and non\u00a0breaking space",
    "bell\x07 and escape\x1b[0m",
    "replacement \ufffd char",
]

QUERIES = [
    "how to search relevant passages",
    "tool to convert images to pdf",
    "library for parsing json in C",
    "what is an embedding",
    "fast nearest neighbour search",
]

LONG = [
    (_LONG_WORDS * 30).strip(),  # ~600 words: truncated at the model's limit
    " ".join(f"word{i}" for i in range(700)),
    ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 60).strip(),
    (_LONG_WORDS * 4).strip(),  # ~120 words: below the limit
]


# Appended for tokenizer parity (kept last in all_texts() so earlier indices never move):
# other scripts' accents, combining marks, Thai, over-long words, punctuation runs,
# full-width forms, Unicode whitespace, literal special tokens, astral CJK.
TRICKY = [
    "Ελληνικά: καλημέρα, Άθηνα, ΐ and ΣΟΦΙΑΣ",
    "Русский: Ёлка, йогурт, ёжик и Йошкар-Ола",
    "ภาษาไทยเป็นภาษาที่สวยงาม",
    "e\u0301cole cafe\u0301 n\u0303 \u0301leading mark",
    "x" * 101 + " ok " + "y" * 100,
    "1234567890" * 12,
    "wait...!!!??? --- (((nested))) «quotes» „German“ ‘single’ — em-dash ¿qué? ¡sí!",
    "ＦＵＬＬ－ＷＩＤＴＨ　ｔｅｘｔ，１２３！",
    "use [MASK] and [SEP] tokens, [UNK] literally, not [cls] or [ SEP ]",
    "İstanbul DİYARBAKIR straße ﬁnance Ǆemal",
    "مَرْحَبًا بِالْعَالَمِ and שָׁלוֹם",
    "हिन्दी भाषा and தமிழ்",
    "astral 𠀀𠀁 compat 豈 丽 and 𝐁𝐨𝐥𝐝",
    "a\u2003b\u3000c\u2028d\u0085e\u000bf\u000cg\u00a0h",
    "private\ue000use and tag\U000e0041s and vs\ufe0f16",
    "naïveté中文test ｶﾀｶﾅ カタカナ ガギグ",
    "$100 + 50% = <tag> ^caret^ `tick` |pipe| ~tilde~ @at #hash",
]


def all_texts():
    """Plain texts, then the queries again with AnglE's retrieval prompt applied, then TRICKY."""
    plain = SHORT + ACCENTS + CJK + EMOJI_AND_SYMBOLS + CONTROL + QUERIES + LONG
    prompted = [RETRIEVAL_PROMPT.format(text=q) for q in QUERIES]
    return plain + prompted + TRICKY


if __name__ == "__main__":
    texts = all_texts()
    print(len(texts), "texts")
