"""Turning Chinese (and mixed) text into search tokens, identically for documents and queries.

Usage::

    from fengqiao.search.text import document_tokens, query_terms

    document_tokens("松林小区施工噪音扰民！")  # ['松林', '小区', '施工', '噪音', '扰民']
    query_terms("施工扰民")                    # ['施工', '扰民']: every term must match

Text is normalised (NFKC: full-width → half-width; lower case), segmented with jieba in search
mode (long words also yield their dictionary sub-words, so 噪音 finds 施工噪音扰民), and cleaned:
only letters and digits are kept inside a token; punctuation and a few stop tokens are dropped.
HMM new-word guessing is off so that a word is cut the same way in a document and in a query.
Domain terms (断卡, 网格员 …) come from data/userdict.txt. jieba is loaded once, lazily, quietly.
"""

import logging
import re
import threading
import unicodedata
from pathlib import Path

import jieba

USERDICT = Path(__file__).resolve().parent / "data" / "userdict.txt"
MAX_TOKEN_CHARS = 64  # longer runs (serial numbers, pasted garbage) are cut: same on both sides
MAX_QUERY_TERMS = 32

# Single-character function words, then a few English ones.
STOP_TOKENS = frozenset("的地得了着过和与及或在是被把也都就而之其吗呢吧啊呀嘛") | frozenset(
    ("a", "an", "the", "of", "and", "or", "to", "in", "on", "at", "is", "are", "be")
)

_NOT_WORD = re.compile(r"[\W_]+")
_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


def tokenizer() -> jieba.Tokenizer:
    """The process's jieba tokenizer with the domain dictionary (built on first use, ~1 s)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                if USERDICT.exists():
                    tok.load_userdict(str(USERDICT))
                _tokenizer = tok
    return _tokenizer


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _clean(word: str) -> str:
    return _NOT_WORD.sub("", word)[:MAX_TOKEN_CHARS]


def _spans(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end) in search mode, cleaned; punctuation-only pieces dropped."""
    result = []
    for word, start, end in tokenizer().tokenize(normalize(text), mode="search", HMM=False):
        token = _clean(word)
        if token:
            result.append((token, start, end))
    return result


def document_tokens(text: str) -> list[str]:
    """The distinct tokens to index for `text`, in order of first appearance."""
    seen: dict[str, None] = {}
    for token, _start, _end in _spans(text or ""):
        if token not in STOP_TOKENS:
            seen.setdefault(token)
    return list(seen)


def query_terms(query: str) -> list[str]:
    """The terms that must all occur in a matching document.

    A long word whose characters are all covered by its own sub-words (施工扰民 → 施工 + 扰民) is
    dropped in favour of them, so a query finds documents where the parts are not adjacent.
    """
    spans = [s for s in _spans(query or "") if s[0] not in STOP_TOKENS]
    terms: dict[str, None] = {}
    for token, start, end in spans:
        covered = set()
        for _other, o_start, o_end in spans:
            if start <= o_start and o_end <= end and (o_end - o_start) < (end - start):
                covered.update(range(o_start, o_end))
        if len(covered) == end - start:
            continue
        terms.setdefault(token)
    return list(terms)[:MAX_QUERY_TERMS]
