"""The search index: one denormalised document per on-sale product, its vocabulary,
suggestions, the search log and per-user history.

The document table is derived data: `services.index_products` rebuilds any row from the
catalog, and `circlemart reindex` rebuilds them all. Backend objects that Django does not
model (the SQLite FTS5 tables and their triggers, the PostgreSQL tsvector column and GIN
indexes) live beside this table and are kept in step by the database itself.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DocumentIdField(models.BigIntegerField):  # type: ignore[type-arg]
    """The product id as the document's key. On SQLite the column is declared INTEGER, so the
    primary key is the table's rowid itself (and the FTS rows' rowid) rather than a second
    index beside a hidden rowid."""

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        if connection.vendor == "sqlite":
            return "integer"
        return super().db_type(connection)


class ProductDocument(models.Model):
    """What search knows about one product. Off-sale products have no document at all, so
    nothing about them can leak through results, facets, suggestions or typo correction."""

    product_id = DocumentIdField(_("product"), primary_key=True)
    # Filter and sort columns first: SQLite reads a row's columns in this order, and the
    # wide text after them may sit on overflow pages that facet scans then never touch.
    category_id = models.BigIntegerField()
    # The catalog's materialised path: a category subtree is a path prefix.
    category_path = models.CharField(max_length=64)
    brand_id = models.BigIntegerField(null=True, blank=True)
    price_min = models.BigIntegerField(_("lowest price"))  # minor units
    in_stock = models.BooleanField(_("in stock"), default=False)
    sales_count = models.BigIntegerField(_("sales"), default=0)
    rating_average = models.FloatField(_("rating"), default=0.0)
    published_at = models.DateTimeField(_("published at"))
    indexed_at = models.DateTimeField(_("indexed at"))
    # Original title and English title, for partial (substring) matching via trigrams.
    title = models.CharField(_("title"), max_length=300)
    # Pre-segmented, space-separated index terms, one column per field weight.
    title_terms = models.TextField(default="", blank=True)
    brand_terms = models.TextField(default="", blank=True)
    category_terms = models.TextField(default="", blank=True)
    tag_terms = models.TextField(default="", blank=True)
    subtitle_terms = models.TextField(default="", blank=True)
    option_terms = models.TextField(default="", blank=True)
    # Single Chinese characters of title and categories: a one-character query ("鞋") finds
    # 运动鞋 although jieba never emits 鞋 alone; weighted lowest.
    char_terms = models.TextField(default="", blank=True)
    # [[kind, key, text], …] this document contributes to Suggestion (kept to diff on change).
    suggestions = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("product document")
        verbose_name_plural = _("product documents")
        indexes = [
            # varchar_pattern_ops makes `LIKE 'prefix%'` indexable on PostgreSQL whatever the
            # collation; other databases ignore opclasses and range-scan the plain index.
            # Subtree filter, and covering for totals and facets while browsing: the wide
            # text columns are never read to count. varchar_pattern_ops makes `LIKE 'p%'`
            # indexable on PostgreSQL whatever the collation; SQLite ignores opclasses and
            # range-scans the plain index.
            models.Index(
                fields=["category_path", "brand_id", "price_min", "in_stock"],
                name="search_doc_filters",
                opclasses=["varchar_pattern_ops", "int8_ops", "int8_ops", "bool_ops"],
            ),
            models.Index(fields=["-sales_count", "-product_id"], name="search_doc_sales"),
            models.Index(fields=["price_min", "product_id"], name="search_doc_price"),
            models.Index(fields=["-published_at", "-product_id"], name="search_doc_newest"),
            models.Index(
                fields=["-rating_average", "-sales_count", "-product_id"],
                name="search_doc_rating",
            ),
            models.Index(fields=["brand_id", "-sales_count"], name="search_doc_brand"),
            models.Index(fields=["indexed_at"], name="search_doc_indexed_at"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(price_min__gte=0), name="search_doc_price_ok"),
            models.CheckConstraint(condition=Q(sales_count__gte=0), name="search_doc_sales_ok"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.title}"


class DocumentTag(models.Model):
    """The tag names of a document, for the tag filter and the tag facet."""

    document = models.ForeignKey(ProductDocument, on_delete=models.CASCADE, related_name="tag_rows")
    tag = models.CharField(max_length=40)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["document", "tag"], name="search_tag_once")]
        indexes = [models.Index(fields=["tag", "document"], name="search_tag_documents")]

    def __str__(self) -> str:
        return self.tag


class Term(models.Model):
    """Latin index terms with document frequencies: the vocabulary for typo correction."""

    term = models.CharField(_("term"), max_length=64, unique=True)  # as indexed (stemmed)
    display = models.CharField(_("word"), max_length=64)  # a surface form, for "did you mean"
    length = models.PositiveSmallIntegerField()  # of display; candidates are a length window
    doc_frequency = models.IntegerField(_("documents"), default=0)

    class Meta:
        verbose_name = _("index term")
        verbose_name_plural = _("index terms")
        indexes = [models.Index(fields=["length", "doc_frequency"], name="search_term_length")]
        constraints = [
            models.CheckConstraint(condition=Q(doc_frequency__gte=0), name="search_term_df_ok")
        ]

    def __str__(self) -> str:
        return self.display


class Suggestion(models.Model):
    """A completion: product titles, brands, categories and title keywords (counted by the
    indexer) and popular searches (counted by `search_record`)."""

    class Kind(models.TextChoices):
        QUERY = "query", _("Popular search")
        PRODUCT = "product", _("Product")
        BRAND = "brand", _("Brand")
        CATEGORY = "category", _("Category")
        KEYWORD = "keyword", _("Keyword")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # Normalised (NFKC, case-folded, plain) text; completions are a prefix scan on it.
    key = models.CharField(max_length=100)
    text = models.CharField(_("text"), max_length=100)
    product_count = models.IntegerField(_("products"), default=0)
    search_count = models.IntegerField(_("searches"), default=0)
    boost = models.IntegerField(
        _("boost"), default=0, help_text=_("Added to the weight; operators pin terms with it.")
    )
    is_hidden = models.BooleanField(
        _("hidden"),
        default=False,
        help_text=_("Never suggested and never shown as a hot search."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="search_suggestion_once"),
            models.CheckConstraint(
                condition=Q(product_count__gte=0) & Q(search_count__gte=0),
                name="search_suggestion_counts_ok",
            ),
        ]
        indexes = [
            models.Index(
                fields=["key"], name="search_suggestion_key", opclasses=["varchar_pattern_ops"]
            ),
            # The few hidden keys, excluded from every completion and hot list.
            models.Index(
                fields=["key"], name="search_suggestion_hidden", condition=Q(is_hidden=True)
            ),
        ]

    def __str__(self) -> str:
        return self.text


class SearchQuery(models.Model):
    """One search as typed (normalised), for hot searches and analytics."""

    query = models.CharField(_("query"), max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    result_count = models.IntegerField(_("results"))
    created_at = models.DateTimeField(_("searched at"), db_index=True)

    class Meta:
        verbose_name = _("search")
        verbose_name_plural = _("search log")
        indexes = [models.Index(fields=["query", "created_at"], name="search_query_by_text")]

    def __str__(self) -> str:
        return self.query


class SearchHistory(models.Model):
    """A signed-in user's recent distinct searches (newest first, trimmed on write)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="search_history"
    )
    query = models.CharField(_("query"), max_length=100)
    searched_at = models.DateTimeField(_("searched at"))

    class Meta:
        verbose_name = _("search history entry")
        verbose_name_plural = _("search history")
        constraints = [
            models.UniqueConstraint(fields=["user", "query"], name="search_history_once")
        ]
        indexes = [
            models.Index(fields=["user", "-searched_at", "-id"], name="search_history_recent")
        ]

    def __str__(self) -> str:
        return self.query


class ReindexState(models.Model):
    """Progress of the last full rebuild, so an interrupted one can resume."""

    name = models.CharField(max_length=40, unique=True)
    last_product_id = models.BigIntegerField(default=0)
    indexed_count = models.IntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reindex state")
        verbose_name_plural = _("reindex state")

    def __str__(self) -> str:
        return f"{self.name}: after {self.last_product_id}"
