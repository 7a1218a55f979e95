"""Search latency on a generated catalog, beside a plain indexed listing query.

Generates N on-sale products through `catalog.services.product_create` (categories, brands,
tags, SKUs with options and stock), builds the index with `search.services.reindex_all`, then
times `search.selectors.product_search` for a list of queries with and without filters, and
prints p50/p99 next to the baseline measured in the same run on the same data:

    SELECT id FROM catalog_product WHERE status = 'on_sale'
    ORDER BY sales_count DESC, id DESC LIMIT 20

Each database runs in its own process (settings are per process). SQLite uses a new file in
a temporary data directory; PostgreSQL needs a scratch database whose contents are DELETED:

    .venv/bin/python bench/search_latency.py                       # SQLite only
    .venv/bin/python bench/search_latency.py --postgres postgres://postgres@127.0.0.1:5432/cm_bench
    .venv/bin/python bench/search_latency.py --products 10000 --repeat 100 --json var/search.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

ROOT_CATEGORIES = {
    "数码": ["耳机", "手机", "平板电脑", "智能手表", "音箱", "充电宝", "数据线"],
    "服饰": ["连衣裙", "卫衣", "牛仔裤", "羽绒服", "衬衫", "运动鞋", "板鞋"],
    "美妆": ["洗面奶", "面霜", "口红", "防晒霜", "精华液", "面膜"],
    "食品": ["坚果", "咖啡", "牛奶", "螺蛳粉", "茶叶", "零食"],
    "家居": ["四件套", "保温杯", "收纳箱", "台灯", "枕头", "不粘锅"],
    "母婴": ["纸尿裤", "奶粉", "奶瓶", "婴儿车"],
    "运动": ["瑜伽垫", "跑步鞋", "哑铃", "帐篷", "冲锋衣"],
}
ENGLISH = {
    "耳机": "Headphones",
    "手机": "Phone",
    "平板电脑": "Tablet",
    "智能手表": "Smart Watch",
    "音箱": "Speaker",
    "充电宝": "Power Bank",
    "数据线": "Cable",
    "连衣裙": "Dress",
    "卫衣": "Hoodie",
    "牛仔裤": "Jeans",
    "羽绒服": "Down Jacket",
    "衬衫": "Shirt",
    "运动鞋": "Sneakers",
    "板鞋": "Skate Shoes",
    "洗面奶": "Cleanser",
    "面霜": "Cream",
    "口红": "Lipstick",
    "防晒霜": "Sunscreen",
    "精华液": "Serum",
    "面膜": "Mask",
}
BRANDS = [
    ("索尼", "Sony"),
    ("苹果", "Apple"),
    ("小米", "Xiaomi"),
    ("华为", "Huawei"),
    ("优衣库", "Uniqlo"),
    ("耐克", "Nike"),
    ("阿迪达斯", "Adidas"),
    ("兰蔻", "Lancome"),
    ("欧莱雅", "LOreal"),
    ("三只松鼠", "Three Squirrels"),
    ("飞利浦", "Philips"),
    ("戴森", "Dyson"),
    ("漫步者", "Edifier"),
    ("安踏", "Anta"),
    ("李宁", "Li Ning"),
    ("雀巢", "Nestle"),
    ("蒙牛", "Mengniu"),
    ("宜家", "IKEA"),
    ("网易严选", "Yanxuan"),
    ("无印良品", "Muji"),
]
ADJECTIVES = {  # per top-level category: words a real title in it would use
    "数码": ["无线", "蓝牙", "降噪", "快充", "便携", "智能", "高清", "大容量", "超长续航"],
    "服饰": ["碎花", "修身", "宽松", "加厚", "纯棉", "复古", "夏季", "新款", "百搭"],
    "美妆": ["保湿", "温和", "控油", "补水", "清爽", "敏感肌", "持久", "滋润"],
    "食品": ["原味", "低糖", "进口", "整箱", "即食", "有机", "手工"],
    "家居": ["加厚", "静音", "家用", "北欧", "简约", "大号", "防滑"],
    "母婴": ["超薄", "透气", "新生儿", "防胀气", "轻便"],
    "运动": ["防滑", "透气", "专业", "防水", "轻量", "缓震"],
}
ENGLISH_WORDS = {
    "数码": ["Wireless", "Noise Cancelling", "Bluetooth", "Portable", "Pro", "Max", "Fast Charge"],
    "服饰": ["Floral", "Slim Fit", "Cotton", "Vintage", "Summer", "Oversized"],
    "美妆": ["Hydrating", "Gentle", "Oil Control", "Sensitive Skin", "Long Lasting"],
    "食品": ["Original", "Sugar Free", "Imported", "Organic"],
    "家居": ["Quiet", "Nordic", "Minimal", "Large", "Non Slip"],
    "母婴": ["Ultra Thin", "Breathable", "Newborn"],
    "运动": ["Breathable", "Waterproof", "Lightweight", "Professional"],
}
TAGS = ["新品", "热卖", "包邮", "正品", "爆款", "限量", "同款", "国货", "进口", "礼盒"]
COLOURS = ["黑色", "白色", "红色", "蓝色", "灰色", "粉色"]
SIZES = ["S", "M", "L", "XL"]

QUERIES = [
    ("蓝牙耳机", {}),
    ("连衣裙", {}),
    ("洗面奶 温和", {}),
    ("sony", {}),
    ("wireless headphones", {}),
    ("headphnes", {}),  # typo: corrected to headphones
    ("索尼 降噪耳机", {}),
    ("b-12", {}),  # no word matches: title substring fallback
    ("鞋", {}),
    ("蓝牙耳机", {"category": "数码", "price_max": 50000, "in_stock": True}),
    ("新款", {"brand": 3, "tags": ("热卖",)}),
    ("", {"category": "数码"}),  # category browsing
    ("", {"category": "耳机", "price_min": 10000, "in_stock": True}),
    ("", {}),
]


# --- Parent: run one worker per database and print the table ------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--products", type=int, default=6000)
    parser.add_argument("--repeat", type=int, default=60, help="timed runs per query")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--postgres", help="scratch PostgreSQL database URL (its data is deleted)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--sqlite-dir", help="keep the SQLite database in this directory (default: temporary)"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    targets = [] if args.no_sqlite else [("sqlite", None)]
    if args.postgres:
        targets.append(("postgresql", args.postgres))
    results = []
    for name, url in targets:
        with tempfile.TemporaryDirectory(prefix="cm-search-bench-") as scratch:
            data_dir = args.sqlite_dir if args.sqlite_dir and not url else scratch
            Path(data_dir).mkdir(parents=True, exist_ok=True)
            env = {
                **os.environ,
                "CIRCLEMART_DATA_DIR": data_dir,
                "DJANGO_SETTINGS_MODULE": "circlemart.config.settings",
            }
            env.pop("DATABASE_URL", None)
            if url:
                env["DATABASE_URL"] = url
            env["LOG_LEVEL"] = "WARNING"
            out = Path(data_dir) / "result.json"
            command = [
                sys.executable,
                __file__,
                "--worker",
                str(out),
                "--products",
                str(args.products),
                "--repeat",
                str(args.repeat),
                "--seed",
                str(args.seed),
            ]
            print(f"== {name}: generating {args.products} products …", flush=True)
            subprocess.run(command, env=env, check=True, cwd=ROOT)
            results.append(json.loads(out.read_text()))
            print_result(results[-1])
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


def print_result(result: dict[str, Any]) -> None:
    print()
    print(
        f"### {result['backend']} ({result['vendor']} {result['version']}), "
        f"{result['documents']} indexed products, {result['repeat']} runs each"
    )
    print(
        f"generate {result['generate_seconds']:.1f} s, reindex {result['reindex_seconds']:.1f} s "
        f"({result['documents'] / max(result['reindex_seconds'], 1e-9):.0f} products/s)"
    )
    print(f"{'query':<44} {'results':>7} {'p50 ms':>8} {'p99 ms':>8}   {'page only p50/p99':>18}")
    baseline = result["baseline"]
    label = "baseline: SELECT … ORDER BY sales_count LIMIT 20"
    print(f"{label:<44} {20:>7} {baseline['p50']:>8.2f} {baseline['p99']:>8.2f}")
    for row in result["queries"]:
        print(
            f"{row['label']:<44} {row['total']:>7} {row['p50']:>8.2f} {row['p99']:>8.2f}   "
            f"{row['page_p50']:>8.2f} / {row['page_p99']:<8.2f}"
        )


# --- Worker: one database ---------------------------------------------------------------------


def worker(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    call_command("flush", verbosity=0, interactive=False)  # a scratch database
    started = time.perf_counter()
    category_ids = generate(args.products, random.Random(args.seed))
    generated = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh planner statistics for the baseline too

    from circlemart.search import segment, services
    from circlemart.search.backends import get_backend

    segment.segment("预热")  # jieba loads once per process: not part of any figure
    started = time.perf_counter()
    services.reindex_all(progress=True)
    reindexed = time.perf_counter() - started

    from circlemart.search.models import ProductDocument

    result: dict[str, Any] = {
        "backend": get_backend().name,
        "vendor": connection.vendor,
        "version": connection.Database.sqlite_version
        if connection.vendor == "sqlite"
        else connection.cursor().connection.info.server_version,
        "documents": ProductDocument.objects.count(),
        "repeat": args.repeat,
        "generate_seconds": generated,
        "reindex_seconds": reindexed,
        "baseline": measure(baseline_query, args.repeat),
        "queries": [],
    }
    for query, filters in QUERIES:
        result["queries"].append(measure_search(query, filters, category_ids, args.repeat))
    Path(args.worker).write_text(json.dumps(result, ensure_ascii=False))
    return 0


def baseline_query() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM catalog_product WHERE status = %s "
            "ORDER BY sales_count DESC, id DESC LIMIT 20",
            ["on_sale"],
        )
        return len(cursor.fetchall())


def measure(run: Callable[[], Any], repeat: int) -> dict[str, float]:
    for _ in range(3):
        run()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    return percentiles(timings)


def percentiles(timings: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return {"p50": statistics.median(timings), "p99": cuts[98]}


def measure_search(
    query: str, spec: dict[str, Any], category_ids: dict[str, int], repeat: int
) -> dict[str, Any]:
    from circlemart.search.contracts import SearchFilters
    from circlemart.search.selectors import product_search

    filters = SearchFilters(
        category_id=category_ids[spec["category"]] if "category" in spec else None,
        brand_ids=(spec["brand"],) if "brand" in spec else (),
        price_min=spec.get("price_min"),
        price_max=spec.get("price_max"),
        in_stock=spec.get("in_stock", False),
        tags=spec.get("tags", ()),
    )

    def full() -> Any:
        return product_search(
            query=query, filters=filters, sort="", cursor=None, limit=20, viewer_id=None
        )

    def page_only() -> Any:
        return product_search(
            query=query,
            filters=filters,
            sort="",
            cursor=None,
            limit=20,
            viewer_id=None,
            with_facets=False,
        )

    sample = full()
    timed = measure(full, repeat)
    page = measure(page_only, repeat)
    label = repr(query) + (" + " + ",".join(f"{k}={v}" for k, v in spec.items()) if spec else "")
    if sample.corrected_query:
        label += f" → {sample.corrected_query}"
    if sample.partial_match:
        label += " (partial)"
    return {
        "label": label[:44],
        "total": sample.total,
        **timed,
        "page_p50": page["p50"],
        "page_p99": page["p99"],
    }


def generate(count: int, rng: random.Random) -> dict[str, int]:
    """Categories, brands and `count` on-sale products through the catalog services."""
    from django.db import transaction

    from circlemart.catalog import services as catalog
    from circlemart.catalog.models import Product
    from circlemart.core import events
    from circlemart.core.models import OutboxEvent

    # The index is built afterwards by reindex_all; no relay task per product meanwhile.
    events._schedule_relay = lambda: None
    category_ids: dict[str, int] = {}
    leaves: list[tuple[int, str, str]] = []
    with transaction.atomic():
        for position, (root, children) in enumerate(ROOT_CATEGORIES.items()):
            root_id = catalog.category_create(name=root, slug=f"root-{position}").pk
            category_ids[root] = root_id
            for index, child in enumerate(children):
                child_id = catalog.category_create(
                    name=child,
                    slug=f"c-{position}-{index}",
                    parent_id=root_id,
                    name_en=ENGLISH.get(child, ""),
                ).pk
                category_ids[child] = child_id
                leaves.append((child_id, child, root))
        brand_ids = [
            catalog.brand_create(name=name, name_en=english, slug=f"brand-{index}").pk
            for index, (name, english) in enumerate(BRANDS)
        ]
    made = 0
    while made < count:
        with transaction.atomic():
            for _ in range(min(250, count - made)):
                made += 1
                leaf_id, leaf, root = rng.choice(leaves)
                brand_index = rng.randrange(len(BRANDS))
                brand, brand_en = BRANDS[brand_index]
                words = rng.sample(ADJECTIVES[root], 2)
                english = " ".join(rng.sample(ENGLISH_WORDS[root], 2))
                letters = "".join(rng.choices("ABCDEFGHJKMNPRSTWXZ", k=2))
                model = f"{letters}-{rng.randrange(100, 9999)}"
                title = f"{brand} {''.join(words)}{leaf} {model}"
                title_en = f"{brand_en} {english} {ENGLISH.get(leaf, '')} {model}".strip()
                price = rng.choice(
                    [990, 1990, 4990, 9900, 19900, 29900, 59900, 99900, 199900, 399900]
                ) + rng.randrange(0, 900)
                options = [{"颜色": colour} for colour in rng.sample(COLOURS, rng.randrange(1, 4))]
                if leaf in {"连衣裙", "卫衣", "衬衫", "牛仔裤"}:
                    options = [
                        {**option, "尺码": size}
                        for option in options
                        for size in rng.sample(SIZES, 2)
                    ]
                stock = 0 if rng.random() < 0.1 else rng.randrange(1, 500)
                catalog.product_create(
                    data=catalog.ProductInput(
                        code=f"B{made:07d}",
                        title=title[:120],
                        title_en=title_en[:160],
                        subtitle=rng.choice(["限时特惠", "官方正品", "顺丰包邮", "买一送一", ""]),
                        category_id=leaf_id,
                        brand_id=brand_ids[brand_index],
                        tags=rng.sample(TAGS, rng.randrange(0, 4)),
                        skus=[
                            catalog.SkuInput(
                                code=f"B{made:07d}-{index}",
                                price=price + index * 100,
                                options=option,
                                stock=stock,
                            )
                            for index, option in enumerate(options)
                        ],
                        status=Product.Status.ON_SALE,
                    )
                )
        print(f"  {made}/{count} products", end="\r", flush=True)
    print()
    # Sales and ratings have no catalog service yet: set them directly for a realistic sort.
    products = list(Product.objects.only("id"))
    for product in products:
        product.sales_count = int(rng.paretovariate(1.2) * 10)
        product.rating_count = rng.randrange(0, 50)
        product.rating_sum = product.rating_count * rng.randrange(3, 6)
    Product.objects.bulk_update(
        products, ["sales_count", "rating_count", "rating_sum"], batch_size=1000
    )
    OutboxEvent.objects.all().delete()
    return category_ids


if __name__ == "__main__":
    sys.exit(main())
