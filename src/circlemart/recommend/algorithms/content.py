"""Content embeddings trained on the shop's own catalogue text: TF-IDF over jieba words and
character bigrams (Chinese) and lower-cased words (English), reduced by truncated SVD."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds

from circlemart.recommend.algorithms.base import HistoryModel, l2_normalise_rows

MAX_DIMENSIONS = 64
MAX_VOCABULARY = 50_000
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_LATIN_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


def _chinese_tokens(run: str) -> list[str]:
    import jieba  # loads its dictionary (~1 s) only when a catalogue actually has Chinese text

    words = [word for word in jieba.lcut(run) if word.strip()]
    bigrams = [run[i : i + 2] for i in range(len(run) - 1)]
    return words + bigrams if bigrams else words


def tokenise(text: str) -> list[str]:
    lowered = text.lower()
    tokens = _LATIN_WORD.findall(_CJK_RUN.sub(" ", lowered))
    for run in _CJK_RUN.findall(lowered):
        tokens.extend(_chinese_tokens(run))
    return tokens


class ContentEncoder:
    """Text → float32 n × d, L2-normalised (rows with no known token stay zero)."""

    def __init__(
        self, *, vocabulary: Sequence[str], idf: np.ndarray, projection: np.ndarray
    ) -> None:
        self.vocabulary = list(vocabulary)
        self.token_index = {token: n for n, token in enumerate(self.vocabulary)}
        self.idf = np.asarray(idf, dtype=np.float32)
        self.projection = np.asarray(projection, dtype=np.float32)

    @property
    def dimensions(self) -> int:
        return int(self.projection.shape[1])

    @classmethod
    def fit(cls, texts: Sequence[str], *, dimensions: int = MAX_DIMENSIONS) -> ContentEncoder:
        documents = [tokenise(text) for text in texts]
        document_frequency = Counter(token for document in documents for token in set(document))
        # a token seen once says nothing about which items are related
        minimum = 2 if len(documents) >= 50 else 1
        kept = [
            token
            for token, count in document_frequency.most_common(MAX_VOCABULARY)
            if count >= minimum
        ]
        vocabulary = sorted(kept)
        idf = np.array(
            [
                math.log((1 + len(documents)) / (1 + document_frequency[token])) + 1.0
                for token in vocabulary
            ],
            dtype=np.float32,
        )
        unprojected = cls(
            vocabulary=vocabulary, idf=idf, projection=np.eye(len(vocabulary), dtype=np.float32)
        )
        weighted = unprojected.tf_idf(documents)
        return cls(vocabulary=vocabulary, idf=idf, projection=_svd_projection(weighted, dimensions))

    def tf_idf(self, documents: Sequence[list[str]]) -> sp.csr_matrix:
        rows, columns, values = [], [], []
        for row, document in enumerate(documents):
            counts = Counter(
                self.token_index[token] for token in document if token in self.token_index
            )
            for column, count in counts.items():
                rows.append(row)
                columns.append(column)
                values.append((1.0 + math.log(count)) * float(self.idf[column]))
        matrix = sp.csr_matrix(
            (values, (rows, columns)),
            shape=(len(documents), len(self.vocabulary)),
            dtype=np.float32,
        )
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        return (
            sp.diags(np.where(norms > 0, 1.0 / np.maximum(norms, 1e-12), 0.0).astype(np.float32))
            @ matrix
        )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self.dimensions), dtype=np.float32)
        weighted = self.tf_idf([tokenise(text) for text in texts])
        return l2_normalise_rows(np.asarray(weighted @ self.projection, dtype=np.float32))

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "vocabulary": np.array(self.vocabulary, dtype=np.str_),
            "idf": self.idf,
            "projection": self.projection,
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> ContentEncoder:
        missing = {"vocabulary", "idf", "projection"} - set(arrays)
        if missing:
            raise ValueError(f"content encoder arrays lack {sorted(missing)}")
        vocabulary, idf, projection = arrays["vocabulary"], arrays["idf"], arrays["projection"]
        if (
            len(vocabulary) != len(idf)
            or projection.ndim != 2
            or projection.shape[0] != len(vocabulary)
        ):
            raise ValueError("content encoder arrays have inconsistent shapes")
        return cls(vocabulary=[str(token) for token in vocabulary], idf=idf, projection=projection)


def _svd_projection(weighted: sp.csr_matrix, dimensions: int) -> np.ndarray:
    """vocabulary × d right singular vectors; tiny vocabularies keep the identity instead."""
    rank = min(dimensions, min(weighted.shape) - 1)
    if rank < 1 or weighted.nnz == 0:
        size = weighted.shape[1]
        return np.eye(size, max(min(size, dimensions), 1), dtype=np.float32)
    _, singular, right = svds(weighted.astype(np.float64), k=rank, random_state=17)
    order = np.argsort(-singular)
    return np.ascontiguousarray(right[order].T, dtype=np.float32)


class ContentModel(HistoryModel):
    """Scores items by the cosine between their embedding and the user's decayed history profile."""

    name = "content"

    def __init__(self, *, embeddings: np.ndarray, half_life_days: float | None = 60.0) -> None:
        self.embeddings = np.asarray(embeddings, dtype=np.float32)
        self.half_life_days = half_life_days

    def score(self, history: sp.csr_matrix) -> np.ndarray:
        profile = l2_normalise_rows(np.asarray(history @ self.embeddings, dtype=np.float32))
        return profile @ self.embeddings.T
