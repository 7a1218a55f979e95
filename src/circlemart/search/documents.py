"""From a catalog product to a search document: segmentation, weights by column, the
vocabulary and suggestions it contributes. Pure functions; the indexer writes the result."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from circlemart.catalog.contracts import IndexableProduct
from circlemart.search import segment
from circlemart.search.models import ProductDocument, Suggestion

# Changing one of these re-indexes the row's full text (SQLite trigger, PostgreSQL vector).
TEXT_FIELDS = (
    "title",
    "title_terms",
    "brand_terms",
    "category_terms",
    "tag_terms",
    "subtitle_terms",
    "option_terms",
    "char_terms",
)
VALUE_FIELDS = (
    "category_id",
    "category_path",
    "brand_id",
    "price_min",
    "in_stock",
    "sales_count",
    "rating_average",
    "published_at",
    "suggestions",
)
TERM_COLUMNS = TEXT_FIELDS[1:-1]  # the columns whose Latin terms form the vocabulary
NEVER_PUBLISHED = datetime(1970, 1, 1, tzinfo=UTC)
TERM_MAX_LENGTH = 64
SUGGESTION_MAX_LENGTH = 100

SuggestionKey = tuple[str, str]  # (kind, normalised key)


@dataclass(frozen=True)
class DocumentData:
    product_id: int
    title: str
    title_terms: str
    brand_terms: str
    category_terms: str
    tag_terms: str
    subtitle_terms: str
    option_terms: str
    char_terms: str
    category_id: int
    category_path: str
    brand_id: int | None
    price_min: int
    in_stock: bool
    sales_count: int
    rating_average: float
    published_at: datetime
    suggestions: list[list[str]]  # [[kind, key, text], …] as stored in JSON
    tags: tuple[str, ...]
    vocabulary: dict[str, str]  # Latin term → a surface word

    def as_model(self, *, indexed_at: datetime) -> ProductDocument:
        return ProductDocument(
            product_id=self.product_id,
            indexed_at=indexed_at,
            **{name: getattr(self, name) for name in (*TEXT_FIELDS, *VALUE_FIELDS)},
        )

    def latin_terms(self) -> set[str]:
        return latin_terms_of(getattr(self, column) for column in TERM_COLUMNS)

    def suggestion_keys(self) -> dict[SuggestionKey, str]:
        return suggestion_keys(self.suggestions)


def latin_terms_of(columns: Iterable[str]) -> set[str]:
    return {
        term
        for column in columns
        for term in column.split()
        if segment.is_latin_term(term) and len(term) <= TERM_MAX_LENGTH
    }


def document_latin_terms(document: ProductDocument) -> set[str]:
    return latin_terms_of(getattr(document, column) for column in TERM_COLUMNS)


def suggestion_keys(stored: list[list[str]]) -> dict[SuggestionKey, str]:
    return {(kind, key): text for kind, key, text in stored}


def _terms(texts: Iterable[str]) -> str:
    return " ".join(term for text in texts if text for term in segment.segment(text))


def _suggestions(product: IndexableProduct) -> list[list[str]]:
    found: dict[SuggestionKey, str] = {}

    def add(kind: str, text: str) -> None:
        text = " ".join(text.split())[:SUGGESTION_MAX_LENGTH]
        key = segment.normalise(text, max_chars=SUGGESTION_MAX_LENGTH)
        if key:
            found.setdefault((kind, key), text)

    for title in (product.title, product.title_en):
        add(Suggestion.Kind.PRODUCT, title)
    for brand in (product.brand_name, product.brand_name_en):
        add(Suggestion.Kind.BRAND, brand)
    for name in product.category_names:
        add(Suggestion.Kind.CATEGORY, name)
    for title in (product.title, product.title_en):
        for word in segment.keywords(title):
            add(Suggestion.Kind.KEYWORD, word)
    return [[kind, key, text] for (kind, key), text in found.items()]


def build_document(product: IndexableProduct) -> DocumentData:
    raw_title = " ".join(part for part in (product.title, product.title_en) if part)
    texts = [
        product.title,
        product.title_en,
        product.brand_name,
        product.brand_name_en,
        product.subtitle,
        *product.category_names,
        *product.tags,
        *product.option_values,
    ]
    vocabulary: dict[str, str] = {}
    for text in texts:
        for term, word in segment.latin_vocabulary(text).items():
            vocabulary.setdefault(term, word[:TERM_MAX_LENGTH])
    tags = tuple(dict.fromkeys(tag.strip()[:40] for tag in product.tags if tag.strip()))
    return DocumentData(
        product_id=product.id,
        title=raw_title[:300],
        title_terms=_terms([product.title, product.title_en]),
        brand_terms=_terms([product.brand_name, product.brand_name_en]),
        category_terms=_terms(product.category_names),
        tag_terms=_terms(tags),
        subtitle_terms=_terms([product.subtitle]),
        option_terms=_terms(product.option_values),
        char_terms=" ".join(
            segment.han_characters(" ".join([product.title, *product.category_names]))
        ),
        category_id=product.category_id,
        category_path=product.category_path,
        brand_id=product.brand_id,
        price_min=max(product.price_min, 0),
        in_stock=product.in_stock,
        sales_count=max(product.sales_count, 0),
        rating_average=float(product.rating_average),
        published_at=product.published_at or NEVER_PUBLISHED,
        suggestions=_suggestions(product),
        tags=tags,
        vocabulary=vocabulary,
    )
