"""Loaders for the public datasets in the shared datasets directory, as Interactions plus item
texts and the time split the evaluation uses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from circlemart.recommend.algorithms.data import Interactions

DATASETS_DIR = Path("/work/shared/datasets")
ONLINE_RETAIL = "online-retail"
MOVIELENS = "movielens"
DATASET_NAMES = (ONLINE_RETAIL, MOVIELENS)
_PRODUCT_CODE = re.compile(r"^\d{5}[A-Z]*$")
POSITIVE_RATING = 3.5


@dataclass(frozen=True)
class Dataset:
    name: str
    interactions: Interactions
    item_texts: dict[int, str]  # item id → text
    item_labels: dict[int, str]  # item id → the source's own code/title
    validation_start: (
        int  # epoch seconds: train < validation_start ≤ validation < test_start ≤ test
    )
    test_start: int
    source: str


def _epoch(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())


def load_online_retail(directory: Path = DATASETS_DIR) -> Dataset:
    """Clean purchases (not cancelled, CustomerID present, Quantity > 0, UnitPrice > 0, product
    codes only); basket = invoice; one interaction per invoice line."""
    frame = pd.read_csv(
        directory / "online-retail-uci" / "online_retail.csv.gz",
        dtype={"InvoiceNo": str, "StockCode": str, "Description": str, "Country": str},
    )
    frame = frame[
        ~frame["InvoiceNo"].str.startswith("C")
        & frame["CustomerID"].notna()
        & (frame["Quantity"] > 0)
        & (frame["UnitPrice"] > 0)
        & frame["StockCode"].str.match(_PRODUCT_CODE)
    ]
    codes = np.sort(frame["StockCode"].unique())
    code_ids = np.searchsorted(codes, frame["StockCode"].to_numpy()).astype(np.int64) + 1
    stamps = (
        pd.to_datetime(frame["InvoiceDate"]).to_numpy().astype("datetime64[s]").astype(np.int64)
    )
    interactions = Interactions.from_records(
        users=frame["CustomerID"].astype(np.int64).to_numpy(),
        items=code_ids,
        weights=np.ones(len(frame), dtype=np.float32),
        timestamps=stamps,
        baskets=frame["InvoiceNo"].astype(np.int64).to_numpy(),
        is_purchase=np.ones(len(frame), dtype=bool),
    )
    descriptions = (
        frame.assign(item=code_ids)
        .dropna(subset=["Description"])
        .groupby("item")["Description"]
        .agg(lambda s: s.mode().iloc[0])
    )
    texts = {int(item): str(text) for item, text in descriptions.items()}
    return Dataset(
        name=ONLINE_RETAIL,
        interactions=interactions,
        item_texts={int(item): texts.get(int(item), "") for item in interactions.items},
        item_labels={int(n + 1): str(code) for n, code in enumerate(codes)},
        validation_start=_epoch("2011-10-10"),
        test_start=_epoch("2011-11-09"),
        source=(
            "UCI Online Retail (Chen, Sain and Guo 2012; UCI id 352, DOI 10.24432/C5BW33), "
            "CC BY 4.0"
        ),
    )


def load_movielens(directory: Path = DATASETS_DIR) -> Dataset:
    """Ratings ≥ 3.5 as implicit positives; the last 10 % of time is the test period and the
    10 % before it validation; item text = title, genres and users' tags."""
    base = directory / "movielens-latest-small"
    ratings = pd.read_csv(base / "ratings.csv.gz")
    positives = ratings[ratings["rating"] >= POSITIVE_RATING]
    movies = pd.read_csv(base / "movies.csv")
    tags = pd.read_csv(base / "tags.csv")
    tag_text = tags.groupby("movieId")["tag"].agg(lambda s: " ".join(str(t) for t in s))
    interactions = Interactions.from_records(
        users=positives["userId"].to_numpy(),
        items=positives["movieId"].to_numpy(),
        weights=np.ones(len(positives), dtype=np.float32),
        timestamps=positives["timestamp"].to_numpy(),
        baskets=np.full(len(positives), -1, dtype=np.int64),
        is_purchase=np.ones(len(positives), dtype=bool),
    )
    titles = dict(zip(movies["movieId"].astype(int), movies["title"].astype(str), strict=True))
    genres = dict(
        zip(
            movies["movieId"].astype(int),
            movies["genres"].astype(str).str.replace("|", " "),
            strict=True,
        )
    )
    texts = {
        int(item): " ".join(
            [titles.get(int(item), ""), genres.get(int(item), ""), str(tag_text.get(int(item), ""))]
        )
        for item in interactions.items
    }
    stamps = np.sort(ratings["timestamp"].to_numpy())
    return Dataset(
        name=MOVIELENS,
        interactions=interactions,
        item_texts=texts,
        item_labels={int(item): titles.get(int(item), "") for item in interactions.items},
        validation_start=int(stamps[int(0.8 * len(stamps))]),
        test_start=int(stamps[int(0.9 * len(stamps))]),
        source=(
            "MovieLens latest-small (GroupLens; Harper and Konstan 2015), "
            "research use, non-commercial"
        ),
    )


def load_dataset(name: str, directory: Path = DATASETS_DIR) -> Dataset:
    if name == ONLINE_RETAIL:
        return load_online_retail(directory)
    if name == MOVIELENS:
        return load_movielens(directory)
    raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASET_NAMES)}")
