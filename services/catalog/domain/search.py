"""Chinese full-text search terms (pure): jieba segmentation into lexemes, weighted.

Why jieba lexemes and not trigrams: PostgreSQL's pg_trgm needs three characters and cannot
serve a two-character query such as "低保", the most common kind of Chinese query; SQLite's
FTS5 tokenizers do not segment Chinese at all. So the catalog segments text itself, in
search mode (long words also yield their dictionary sub-words), and adds every character
bigram of a long token, so a query for "低保" finds "城乡低保" however jieba cut it.

The lexemes are stored as a PostgreSQL ``tsvector`` (GIN-indexed, weights A for title,
文号 and keywords, B for the summary, D for the body) and, on SQLite, as a space-separated
string matched with LIKE (the embedded default holds one county's small catalog).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import jieba

jieba.setLogLevel(60)
_init_lock = threading.Lock()
_initialised = False

# Terms of county disclosure work that jieba's general dictionary splits or lacks.
GOVERNMENT_TERMS = (
    "低保",
    "城乡低保",
    "最低生活保障",
    "特困供养",
    "临时救助",
    "公租房",
    "廉租房",
    "保障性住房",
    "乡村振兴",
    "脱贫攻坚",
    "三公经费",
    "预决算",
    "行政许可",
    "行政处罚",
    "行政强制",
    "行政事业性收费",
    "规范性文件",
    "政策解读",
    "公共资源交易",
    "重大建设项目",
    "义务教育",
    "医疗保障",
    "城乡居民",
    "政府信息公开",
    "营商环境",
    "一网通办",
    "放管服",
)

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[\w\u3400-\u9fff]")
# Single characters and particles that carry no meaning on their own.
_STOP = frozenset("的 了 和 与 及 或 在 是 对 为 于 等 之 其 并 将 由 从 把 被 也 而 以 就 都 中 上 下 关于 有关 进一步 通知".split())

MAX_POSITIONS = 8  # per lexeme: enough for ranking, keeps the tsvector small
MAX_LEXEME = 60


def warm_up() -> None:
    """Load jieba's dictionary now (about a second of CPU): at start-up, not inside the first search or publish."""
    _ensure_init()


def _ensure_init() -> None:
    global _initialised
    if not _initialised:
        with _init_lock:
            if not _initialised:
                for term in GOVERNMENT_TERMS:
                    jieba.add_word(term, freq=200000)
                jieba.initialize()
                _initialised = True


def _keep(token: str) -> bool:
    token = token.strip()
    if not token or token in _STOP or not _WORD.search(token):
        return False
    # One CJK character alone matches far too much; numbers and Latin words are kept.
    return not (len(token) == 1 and _CJK.match(token))


def _bigrams(token: str) -> list[str]:
    if len(token) < 3 or not all(_CJK.match(ch) for ch in token):
        return []
    return [token[i : i + 2] for i in range(len(token) - 1)]


def terms(text: str | None) -> list[str]:
    """The lexemes of a text, in order, with repeats (search-mode segmentation + bigrams)."""
    if not text:
        return []
    _ensure_init()
    out: list[str] = []
    for token in jieba.cut_for_search(unicodedata.normalize("NFKC", text)):
        token = token.strip().lower()[:MAX_LEXEME]
        if _keep(token):
            out.append(token)
            out.extend(b for b in _bigrams(token) if b not in _STOP)
    return out


@dataclass(frozen=True)
class Fields:
    """The searchable text of a document, by weight."""

    title: str
    doc_number: str | None = None
    keywords: Iterable[str] = ()
    summary: str | None = None
    body: str | None = None


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def weighted_terms(fields: Fields, *, title_only: bool = False) -> list[tuple[str, list[str]]]:
    weighted = [("A", terms(fields.title)), ("A", terms(fields.doc_number)), ("A", terms(" ".join(fields.keywords)))]
    if not title_only:
        weighted += [("B", terms(fields.summary)), ("D", terms(fields.body))]
    return weighted


def tsvector_literal(fields: Fields, *, title_only: bool = False) -> str:
    """A ``tsvector`` in PostgreSQL's input syntax, built here so the database's parser
    (which does not segment Chinese) never touches it: ``'低保':1A,7 '城乡':2A``."""
    return tsvector_from_terms(weighted_terms(fields, title_only=title_only))


def tsvector_from_terms(weighted: list[tuple[str, list[str]]]) -> str:
    positions: dict[str, list[str]] = {}
    pos = 0
    for weight, lexemes in weighted:
        for lexeme in lexemes:
            pos = min(pos + 1, 16383)
            slots = positions.setdefault(lexeme, [])
            if len(slots) < MAX_POSITIONS:
                slots.append(f"{pos}{'' if weight == 'D' else weight}")
    return " ".join(f"{_quote(lexeme)}:{','.join(slots)}" for lexeme, slots in positions.items())


def lexeme_string(fields: Fields) -> str:
    """The SQLite form: every distinct lexeme once, space-separated and space-framed."""
    seen: dict[str, None] = {}
    for text in (fields.title, fields.doc_number or "", " ".join(fields.keywords), fields.summary or "", fields.body or ""):
        for lexeme in terms(text):
            seen.setdefault(lexeme, None)
    return " " + " ".join(seen) + " "


@dataclass(frozen=True)
class Query:
    """A parsed public query: AND of groups, each group an OR of alternatives, each
    alternative an AND of lexemes (a long word matches whole or by its bigrams)."""

    groups: tuple[tuple[tuple[str, ...], ...], ...]

    @property
    def empty(self) -> bool:
        return not self.groups

    def tsquery_literal(self) -> str:
        parts = []
        for group in self.groups:
            alternatives = [" & ".join(_quote(x) for x in alt) for alt in group]
            parts.append("(" + " | ".join(f"({a})" for a in alternatives) + ")")
        return " & ".join(parts)


def parse_query(text: str, max_terms: int = 12) -> Query:
    """Segment the user's query precisely (not search mode: the words they typed)."""
    _ensure_init()
    groups: list[tuple[tuple[str, ...], ...]] = []
    seen: set[str] = set()
    for token in jieba.cut(unicodedata.normalize("NFKC", text).strip()):
        token = token.strip().lower()[:MAX_LEXEME]
        if not _keep(token) or token in seen:
            continue
        seen.add(token)
        alternatives: list[tuple[str, ...]] = [(token,)]
        bigrams = tuple(dict.fromkeys(b for b in _bigrams(token)))
        if bigrams:
            alternatives.append(bigrams)
        groups.append(tuple(alternatives))
        if len(groups) >= max_terms:
            break
    return Query(tuple(groups))


# --- 文号 (document numbers) ---------------------------------------------------------------

# Brackets agencies put around the year, after NFKC (which turns ［］（） into []() and full-width digits into ASCII).
_DOC_NUMBER = re.compile(
    r"^\s*(?P<prefix>[\u3400-\u9fffA-Za-z]+?)\s*[〔\[(【〖{]\s*(?P<year>[0-9]{4})\s*[〕\])】〗}]\s*(?P<serial>[0-9]+)\s*号?\s*$"
)


def doc_number_key(value: str | None) -> str | None:
    """The canonical form of a 文号 (GB/T 9704: 〔〕 around the year, Arabic digits, no leading zeros), so
    鲁政办字[2020]78号, 鲁政办字（２０２０）78, 鲁政办字【2020】078号 all find 鲁政办字〔2020〕78号. None when it is not a 文号."""
    if not value:
        return None
    m = _DOC_NUMBER.match(unicodedata.normalize("NFKC", value))
    if not m:
        return None
    return f"{m['prefix']}〔{m['year']}〕{int(m['serial'])}号"
