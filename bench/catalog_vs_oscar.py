"""Catalog pages, Circlemart against django-oscar: the same generated catalog, the same machine
and PostgreSQL, both served by gunicorn with 2 workers and DEBUG off, measured with wrk.

Oscar is the real thing: `django-oscar` from PyPI in its own virtualenv (kept in
var/bench/oscar-venv and reused while it holds the pinned version), set up by the small
project in bench/oscar_site/. Each run creates two fresh databases and drops them at the end.

    .venv/bin/python bench/catalog_vs_oscar.py                    # 10,000 products, 10 s each
    .venv/bin/python bench/catalog_vs_oscar.py --duration 30 --json var/bench/catalog.json
    .venv/bin/python bench/catalog_vs_oscar.py --products 1000 --duration 3   # a quick look
    .venv/bin/python bench/catalog_vs_oscar.py --server both      # Circlemart on WSGI and ASGI
    .venv/bin/python bench/catalog_vs_oscar.py --quick            # CI smoke run, no Oscar

Circlemart runs as `circlemart serve` runs it by default (WSGI; `--server asgi|both`). After
the closed-loop rows, search on that server is also measured open-loop (bench/load.py):
Poisson arrivals at 25/50/75 % of its capacity, latency from the scheduled send time.
`--quick` is a smoke run for CI: 300 products, 1 s rows, Circlemart only (`--oscar` adds the
peer, which needs its virtualenv), answers checked, no verdict.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

# Same directory: the wrk invocation result and its parser are shared with the HTTP floor.
import http_floor
import load
from http_floor import BenchmarkError, WrkResult, parse_wrk

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
OSCAR_VERSION = "4.2.1"
# sorl-thumbnail is Oscar's default thumbnailer (its `sorl-thumbnail` extra); Whoosh is the
# search index Oscar's own test extra pins (no Solr here, and Haystack's simple backend leaves
# category pages empty); whitenoise serves static files as it does for Circlemart; redis is the
# client for Django's cache.
OSCAR_REQUIREMENTS = (
    f"django-oscar[sorl-thumbnail]=={OSCAR_VERSION}",
    "Whoosh>=2.7,<2.8",
    "gunicorn",
    "psycopg[binary]",
    "whitenoise",
    "redis",
)
OSCAR_VENV_CACHE = PROJECT_DIR / "var" / "bench" / "oscar-venv"
WRK = "wrk"
WRK_THREADS = 2
SERVER_START_TIMEOUT_SECONDS = 90.0
SERVER_STOP_TIMEOUT_SECONDS = 20.0
# A server is idle again once it uses under 5 % of a core over half a second.
IDLE_SAMPLE_SECONDS = 0.5
IDLE_CPU_FRACTION = 0.05
# A 1-minute load average above this before measuring means the machine is not ours alone.
BUSY_LOAD_AVERAGE = 1.0
# Targets from the issue.
TARGET_RATIO = 3.0
TARGET_SEARCH_P99_MS = 50.0
TARGET_CONNECTIONS = 32


# --- The generated catalog --------------------------------------------------------------------

# Eight roots with six leaves each. A row: root (中文:English:slug), its two variant dimensions
# (name=value/value/…), then its leaves (中文:English).
TREE_TEXT = """
数码:Digital:digital | 颜色=黑色/白色/蓝色/银色 | 容量=64GB/128GB/256GB
    手机:Phone, 耳机:Headphones, 平板:Tablet, 手表:Smartwatch, 充电宝:Power bank, 相机:Camera
服饰:Fashion:fashion | 颜色=黑色/白色/米色/藏青 | 尺码=S/M/L/XL
    T恤:T-shirt, 连衣裙:Dress, 牛仔裤:Jeans, 卫衣:Hoodie, 外套:Jacket, 衬衫:Shirt
美妆:Beauty:beauty | 规格=30ml/50ml/100ml | 色号=01/02/03/04
    口红:Lipstick, 面霜:Face cream, 精华:Serum, 面膜:Face mask, 香水:Perfume, 防晒霜:Sunscreen
家居:Home:home | 颜色=灰色/白色/原木/墨绿 | 尺寸=小号/中号/大号
    抱枕:Cushion, 台灯:Desk lamp, 收纳盒:Storage box, 四件套:Bedding set, 地毯:Rug, 香薰:Diffuser
食品:Food:food | 口味=原味/抹茶/海盐/焦糖 | 规格=250g/500g/1kg
    茶叶:Tea, 咖啡:Coffee, 坚果:Nuts, 巧克力:Chocolate, 饼干:Biscuits, 蜂蜜:Honey
母婴:Baby:baby | 颜色=粉色/蓝色/黄色 | 尺码=S/M/L/XL
    纸尿裤:Diapers, 奶瓶:Baby bottle, 童装:Kidswear, 积木:Blocks, 推车:Stroller, 米粉:Cereal
运动:Sports:sports | 颜色=黑色/荧光绿/橙色/白色 | 尺码=38/40/42/44
    跑鞋:Running shoes, 瑜伽垫:Yoga mat, 背包:Backpack, 哑铃:Dumbbell, 运动服:Tracksuit, 手套:Gloves
图书:Books:books | 版本=平装/精装/典藏 | 语言=中文/English
    小说:Novel, 童书:Picture book, 历史:History, 科普:Science, 漫画:Comics, 编程:Programming
"""


@dataclass(frozen=True)
class RootSpec:
    name: str
    name_en: str
    slug: str
    dimensions: tuple[tuple[str, tuple[str, ...]], ...]
    leaves: tuple[tuple[str, str], ...]  # (中文, English)


def parse_tree(text: str) -> tuple[RootSpec, ...]:
    lines = [line.strip() for line in text.strip().splitlines()]
    roots = []
    for head, leaves in zip(lines[::2], lines[1::2], strict=True):
        root, *dimensions = (part.strip() for part in head.split("|"))
        name, name_en, slug = root.split(":")
        roots.append(
            RootSpec(
                name=name,
                name_en=name_en,
                slug=slug,
                dimensions=tuple(
                    (dimension.split("=")[0], tuple(dimension.split("=")[1].split("/")))
                    for dimension in dimensions
                ),
                leaves=tuple(
                    (leaf.split(":")[0].strip(), leaf.split(":")[1].strip())
                    for leaf in leaves.split(",")
                ),
            )
        )
    return tuple(roots)


TREE = parse_tree(TREE_TEXT)
ADJECTIVES = (
    ("轻薄", "Slim"),
    ("经典", "Classic"),
    ("新款", "New"),
    ("旗舰", "Flagship"),
    ("便携", "Portable"),
    ("复古", "Retro"),
    ("简约", "Minimal"),
    ("高端", "Premium"),
    ("限定", "Limited"),
    ("加厚", "Heavy-duty"),
    ("智能", "Smart"),
    ("有机", "Organic"),
)
SUBTITLES = ("官方正品 · 极速发货", "7 天无理由退换", "达人同款，好评如潮", "限时特惠", "")
PRICE_RANGE_FEN = (990, 299_900)
IMAGES_PER_ROOT = 4
# Every timestamp derives from this, so the same seed gives the same catalog on any day.
CATALOG_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class CategorySpec:
    slug: str
    name: str
    name_en: str
    parent: str | None
    position: int


@dataclass(frozen=True)
class VariantSpec:
    code: str
    options: dict[str, str]
    price: int  # minor units (fen)
    original_price: int | None
    stock: int


@dataclass(frozen=True)
class ProductSpec:
    code: str
    title: str
    title_en: str
    subtitle: str
    category: str  # leaf slug
    root: str
    description_html: str
    image: int  # index into the root's image pool
    sales: int
    rating_count: int
    rating_sum: int
    published_at: str  # ISO 8601
    variants: list[VariantSpec]


@dataclass(frozen=True)
class Catalog:
    seed: int
    categories: list[CategorySpec]
    option_names: dict[str, list[str]]  # root slug → its two variant dimensions
    products: list[ProductSpec]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Catalog:
        raw = json.loads(text)
        return cls(
            seed=raw["seed"],
            categories=[CategorySpec(**row) for row in raw["categories"]],
            option_names=raw["option_names"],
            products=[
                ProductSpec(
                    **{key: value for key, value in row.items() if key != "variants"},
                    variants=[VariantSpec(**variant) for variant in row["variants"]],
                )
                for row in raw["products"]
            ],
        )


def _price(rng: random.Random) -> int:
    """Log-uniform prices ending in 0 or 9 yuan, like a real shop's."""
    low, high = PRICE_RANGE_FEN
    value = int(low * (high / low) ** rng.random())
    return max(value - value % 1000 + rng.choice((0, 900)), 990)


def generate_catalog(*, seed: int, product_count: int) -> Catalog:
    """The same categories and products for both shops, from the seed alone."""
    rng = random.Random(seed)
    categories: list[CategorySpec] = []
    leaves: list[tuple[str, str, str, str]] = []  # (leaf slug, root slug, zh, en)
    option_names: dict[str, list[str]] = {}
    for root_position, root in enumerate(TREE):
        categories.append(CategorySpec(root.slug, root.name, root.name_en, None, root_position))
        option_names[root.slug] = [dimension for dimension, _values in root.dimensions]
        for leaf_position, (leaf_zh, leaf_en) in enumerate(root.leaves):
            leaf_slug = f"{root.slug}-{re.sub(r'[^a-z0-9]+', '-', leaf_en.lower()).strip('-')}"
            categories.append(CategorySpec(leaf_slug, leaf_zh, leaf_en, root.slug, leaf_position))
            leaves.append((leaf_slug, root.slug, leaf_zh, leaf_en))
    dimensions_by_root = {root.slug: root.dimensions for root in TREE}

    products = []
    for number in range(product_count):
        leaf_slug, root_slug, leaf_zh, leaf_en = rng.choice(leaves)
        adjective_zh, adjective_en = rng.choice(ADJECTIVES)
        model = f"{rng.choice('ABCDEFGHKMPRSTXZ')}{rng.randint(1, 99)}"
        code = f"BENCH-{number:06d}"
        (first, first_values), (second, second_values) = dimensions_by_root[root_slug]
        combinations = [(a, b) for a in first_values for b in second_values]
        base = _price(rng)
        variants = []
        for index, (value_a, value_b) in enumerate(rng.sample(combinations, rng.randint(1, 3))):
            price = base + index * max(base // 20, 100)
            original = price + price // rng.choice((4, 5, 10)) if rng.random() < 0.5 else None
            stock = 0 if rng.random() < 0.08 else rng.randint(1, 500)
            variants.append(
                VariantSpec(
                    f"{code}-{index + 1}", {first: value_a, second: value_b}, price, original, stock
                )
            )
        title = f"{adjective_zh}{leaf_zh} {model}"
        title_en = f"{adjective_en} {leaf_en} {model}"
        sales = max(int(rng.paretovariate(1.2) * 10) - 10, 0)
        rating_count = rng.randint(0, sales) if sales else 0
        published = CATALOG_EPOCH - timedelta(
            days=rng.randint(0, 365), minutes=rng.randint(0, 1439)
        )
        products.append(
            ProductSpec(
                code=code,
                title=title,
                title_en=title_en,
                subtitle=rng.choice(SUBTITLES),
                category=leaf_slug,
                root=root_slug,
                description_html=(
                    f"<p><strong>{title}</strong></p><p>{title_en}</p>"
                    "<ul><li>正品保障 · Authentic</li><li>48 小时发货 · Ships in 48h</li></ul>"
                ),
                image=rng.randrange(IMAGES_PER_ROOT),
                sales=sales,
                rating_count=rating_count,
                rating_sum=int(rating_count * rng.uniform(3.6, 5.0)),
                published_at=published.isoformat(),
                variants=variants,
            )
        )
    return Catalog(seed=seed, categories=categories, option_names=option_names, products=products)


def draw_image_pool(directory: Path, *, seed: int) -> None:
    """A few pictures per root category (800 px and a 400 px thumbnail), shared by its
    products on both sides: ROOT-N-800.webp and ROOT-N-400.webp."""
    from PIL import Image, ImageDraw  # the project's dependency; only this step needs it

    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    for root in TREE:
        for number in range(IMAGES_PER_ROOT):
            top = tuple(rng.randint(60, 200) for _ in range(3))
            bottom = tuple(min(255, channel + 50) for channel in top)
            for side in (800, 400):
                image = Image.new("RGB", (side, side))
                draw = ImageDraw.Draw(image)
                for row in range(side):
                    mix = row / side
                    draw.line(
                        [(0, row), (side, row)],
                        fill=tuple(
                            int(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True)
                        ),
                    )
                draw.text((side * 0.1, side * 0.45), f"{root.name_en} {number}", fill="white")
                image.save(directory / f"{root.slug}-{number}-{side}.webp", "WEBP", quality=80)


# --- Loading Circlemart (runs inside `circlemart shell`) ------------------------------------

CIRCLEMART_IMAGE_DIR = "bench/products"
CIRCLEMART_LOAD_SNIPPET = """
import sys
sys.path.insert(0, {bench_dir!r})
from catalog_vs_oscar import load_into_circlemart
load_into_circlemart({catalog!r}, {images!r}, {out!r})
"""


def load_into_circlemart(catalog_path: str, images_dir: str, out_path: str) -> None:
    """Categories through `category_create`; products, SKUs, stock and images in bulk, the
    way `circlemart.catalog.seed` does it. Writes the ids the benchmark needs to out_path."""
    from django.conf import settings
    from django.db import transaction

    from circlemart.catalog.models import Product, ProductImage, Sku
    from circlemart.catalog.services import category_create, options_key
    from circlemart.inventory import services as inventory

    started = time.monotonic()
    catalog = Catalog.from_json(Path(catalog_path).read_text())
    media = Path(settings.MEDIA_ROOT) / CIRCLEMART_IMAGE_DIR
    media.mkdir(parents=True, exist_ok=True)
    for image in Path(images_dir).glob("*.webp"):
        shutil.copyfile(image, media / image.name)

    category_ids: dict[str, int] = {}
    for spec in catalog.categories:
        category_ids[spec.slug] = category_create(
            name=spec.name,
            name_en=spec.name_en,
            slug=spec.slug,
            parent_id=category_ids[spec.parent] if spec.parent else None,
            position=spec.position,
        ).pk
    print(f"circlemart: {len(category_ids)} categories", flush=True)

    product_ids: dict[str, int] = {}
    total = len(catalog.products)
    batch_size = 500
    for start in range(0, total, batch_size):
        specs = catalog.products[start : start + batch_size]
        with transaction.atomic():
            products = Product.objects.bulk_create(
                [
                    Product(
                        code=spec.code,
                        title=spec.title,
                        title_en=spec.title_en,
                        subtitle=spec.subtitle,
                        category_id=category_ids[spec.category],
                        description_html=spec.description_html,
                        status=Product.Status.ON_SALE,
                        price_min=min(variant.price for variant in spec.variants),
                        price_max=max(variant.price for variant in spec.variants),
                        sales_count=spec.sales,
                        rating_count=spec.rating_count,
                        rating_sum=spec.rating_sum,
                        cover=f"{settings.MEDIA_URL}{CIRCLEMART_IMAGE_DIR}/"
                        f"{spec.root}-{spec.image}-400.webp",
                        published_at=datetime.fromisoformat(spec.published_at),
                    )
                    for spec in specs
                ]
            )
            skus = Sku.objects.bulk_create(
                [
                    Sku(
                        product=product,
                        code=variant.code,
                        options=variant.options,
                        options_key=options_key(variant.options),
                        price=variant.price,
                        original_price=variant.original_price,
                        position=position,
                    )
                    for product, spec in zip(products, specs, strict=True)
                    for position, variant in enumerate(spec.variants)
                ]
            )
            stock = {variant.code: variant.stock for spec in specs for variant in spec.variants}
            inventory.stock_create_many({sku.pk: stock[sku.code] for sku in skus})
            ProductImage.objects.bulk_create(
                [
                    ProductImage(
                        product=product,
                        image=f"{CIRCLEMART_IMAGE_DIR}/{spec.root}-{spec.image}-800.webp",
                        thumbnail=f"{CIRCLEMART_IMAGE_DIR}/{spec.root}-{spec.image}-400.webp",
                        alt=spec.title,
                        width=800,
                        height=800,
                    )
                    for product, spec in zip(products, specs, strict=True)
                ]
            )
        product_ids.update({product.code: product.pk for product in products})
        print(f"circlemart: products {start + len(specs):>6,}/{total:,}", flush=True)
    Path(out_path).write_text(json.dumps({"categories": category_ids, "products": product_ids}))
    print(f"circlemart: loaded in {time.monotonic() - started:.1f} s", flush=True)


SESSION_SNIPPET = """
from django.conf import settings
from django.test import Client
{create_user}
client = Client()
client.force_login(user)
cookie = client.cookies[settings.SESSION_COOKIE_NAME]
print("SESSION=" + cookie.key + "=" + cookie.value)
"""
CIRCLEMART_CREATE_USER = """
from circlemart.accounts.services import user_register_with_email
user = user_register_with_email(email={email!r}, password={password!r}, nickname="bench")
"""
OSCAR_CREATE_USER = """
from django.contrib.auth import get_user_model
user = get_user_model().objects.create_user(
    username="bench", email={email!r}, password={password!r}
)
"""
BENCH_PASSWORD = "Bench-catalog-password-1618"


def session_cookie(command: Sequence[str], create_user: str, *, env: Mapping[str, str]) -> str:
    """A signed-in shopper's session: `name=value` for a Cookie header."""
    email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
    code = SESSION_SNIPPET.format(
        create_user=create_user.format(email=email, password=BENCH_PASSWORD)
    )
    output = run_quiet([*command, code], env=env)
    for line in output.splitlines():
        if line.startswith("SESSION="):
            return line.removeprefix("SESSION=").strip()
    raise BenchmarkError(f"no session key in the output:\n{output}")


# --- Child processes ------------------------------------------------------------------------


def run_quiet(command: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None) -> str:
    """Run to completion; its output, or a BenchmarkError carrying that output."""
    completed = subprocess.run(
        list(command), env=dict(env), cwd=cwd, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise BenchmarkError(
            f"`{' '.join(command)[:200]}` exited {completed.returncode}:\n"
            f"{completed.stdout[-4000:]}{completed.stderr[-4000:]}"
        )
    return completed.stdout


def run_streamed(
    command: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None, prefix: str
) -> None:
    """Run to completion showing its output as it comes (loader progress); fail loudly."""
    tail: list[str] = []
    with subprocess.Popen(
        list(command),
        env=dict(env),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            # tqdm redraws with carriage returns: show only the latest state of a line.
            shown = line.rstrip().split("\r")[-1]
            tail = [*tail[-39:], shown]
            if shown.strip():
                print(f"  {prefix}{shown}", flush=True)
    if process.returncode != 0:
        joined = "\n".join(tail)
        raise BenchmarkError(f"`{' '.join(command)[:200]}` exited {process.returncode}:\n{joined}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- The Oscar virtualenv ---------------------------------------------------------------------


def oscar_python(*, venv: Path) -> Path:
    """The interpreter of a virtualenv holding OSCAR_REQUIREMENTS, made or reused."""
    python = venv / "bin" / "python"
    marker = venv / "bench-requirements.txt"
    wanted = "\n".join(OSCAR_REQUIREMENTS) + "\n"
    if python.exists() and marker.exists() and marker.read_text() == wanted:
        print(f"oscar venv: reusing {venv} (it holds {', '.join(OSCAR_REQUIREMENTS)})")
        return python
    print(f"oscar venv: installing {' '.join(OSCAR_REQUIREMENTS)} into {venv}", flush=True)
    if not python.exists():
        # This interpreter's base Python, so both sides run the same Python version.
        run_quiet([sys.executable, "-m", "venv", str(venv)], env=os.environ)
    run_streamed(
        # Twice quiet: this machine's pip configuration warns about every package otherwise.
        [str(python), "-m", "pip", "install", "--quiet", "--quiet", *OSCAR_REQUIREMENTS],
        env=os.environ,
        prefix="pip: ",
    )
    marker.write_text(wanted)
    return python


def venv_versions(python: Path, distributions: Sequence[str]) -> dict[str, str]:
    code = (
        "import json, sys\nfrom importlib import metadata\n"
        "print(json.dumps({name: metadata.version(name) for name in sys.argv[1:]}))"
    )
    return dict(json.loads(run_quiet([str(python), "-c", code, *distributions], env=os.environ)))


# --- PostgreSQL and Redis ---------------------------------------------------------------------


@dataclass(frozen=True)
class Postgres:
    host: str
    port: str
    user: str

    def url(self, database: str) -> str:
        return f"postgres://{self.user}@{self.host}:{self.port}/{database}"

    def psql(self, sql: str, *, database: str = "postgres") -> str:
        command = ["psql", "-h", self.host, "-p", self.port, "-U", self.user, "-d", database]
        return run_quiet([*command, "-tAXq", "-v", "ON_ERROR_STOP=1", "-c", sql], env=os.environ)

    def create(self, database: str, *, template: str | None = None) -> None:
        like = f' TEMPLATE "{template}"' if template else ""
        self.psql(f'CREATE DATABASE "{database}"{like}')

    def drop(self, database: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def redis_forget(url: str, prefix: str) -> int:
    """Delete the keys this run's caches wrote (prefix:version:key); returns how many."""
    import redis  # a Circlemart dependency

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])
    return len(keys)


# --- Servers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerSpec:
    name: str  # column name in the table
    shop: str  # "circlemart" or "oscar"
    command: tuple[str, ...]
    env: Mapping[str, str]
    cwd: Path
    probe_path: str  # a cheap page that shows the server is up: /hello, or Oscar's redirect at /


class RunningServer:
    """Gunicorn in its own process group, so stopping it stops every worker too."""

    def __init__(self, spec: ServerSpec, *, log_dir: Path) -> None:
        self.spec = spec
        self.port = free_port()
        slug = re.sub(r"[^a-z0-9]+", "-", spec.name.lower())
        self.log_path = log_dir / f"gunicorn-{slug}.log"
        command = [
            *spec.command,
            "--bind",
            f"127.0.0.1:{self.port}",
            # Off the default ~/.gunicorn control socket a development server may be using.
            "--control-socket",
            str(log_dir / f"gunicorn-{slug}.ctl"),
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                env=dict(spec.env),
                cwd=spec.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_until_ready(self) -> None:
        """Any HTTP answer to the probe means a worker is up."""
        deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchmarkError(
                    f"{self.spec.name} exited {self.process.returncode} while starting:\n"
                    f"{self.log_tail()}"
                )
            try:
                fetch(self.base_url + self.spec.probe_path)
            except OSError:
                time.sleep(0.25)
                continue
            return
        raise BenchmarkError(f"{self.spec.name} did not answer in time:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        """CPU time used so far by the master and every worker (its process group)."""
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # Fields after the parenthesised command: state, ppid, pgrp, …, utime, stime.
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process ended while we looked
                continue
            if int(fields[2]) == self.process.pid:
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def drain(self) -> None:
        """Wait until the requests a finished wrk run left queued are served: workers still
        answer every accepted connection after wrk hangs up, and that backlog would otherwise
        be billed to the next run. Idle means almost no CPU used for a moment."""
        deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
        used = self.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(IDLE_SAMPLE_SECONDS)
            now = self.cpu_seconds()
            if now - used < IDLE_CPU_FRACTION * IDLE_SAMPLE_SECONDS:
                return
            used = now
        raise BenchmarkError(f"{self.spec.name} stayed busy after wrk stopped:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=SERVER_STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass


@contextmanager
def running(spec: ServerSpec, *, log_dir: Path) -> Iterator[RunningServer]:
    server = RunningServer(spec, log_dir=log_dir)
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.stop()


# --- HTTP checks and wrk ----------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a wrong answer here, not something to follow."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, headers: Mapping[str, str] | None = None) -> tuple[int, bytes]:
    """(status, body) of a GET, without following redirects."""
    request = urllib.request.Request(url, headers=dict(headers or {}))  # noqa: S310 (loopback)
    try:
        with _OPENER.open(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@dataclass(frozen=True)
class Endpoint:
    """One page of one shop, with texts of which at least one must be in a correct answer."""

    name: str  # list, detail, search
    path: str
    expected_any: tuple[str, ...]


def check_endpoint(base_url: str, endpoint: Endpoint, headers: Mapping[str, str]) -> None:
    status, body = fetch(base_url + endpoint.path, headers)
    if status != 200:
        raise BenchmarkError(f"{base_url}{endpoint.path} answered {status}: {body[:300]!r}")
    text = body.decode(errors="replace")
    if not any(expected in text for expected in endpoint.expected_any):
        sample = ", ".join(endpoint.expected_any[:3])
        raise BenchmarkError(
            f"{base_url}{endpoint.path} answered 200 without any of the expected products "
            f"(e.g. {sample}): an empty or wrong page would make the numbers meaningless"
        )


def run_wrk(
    url: str, *, headers: Mapping[str, str], seconds: int, connections: int, warmup: bool = False
) -> WrkResult:
    """One wrk run; a warm-up may complete no request (a slow page in a short window)."""
    command = [
        WRK,
        f"--threads={WRK_THREADS}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        # Longer than any run: a slow page must count as slow, not as a socket error.
        "--timeout=60s",
        "--latency",
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    command.append(url)
    completed = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=seconds + 60
    )
    if completed.returncode != 0:
        raise BenchmarkError(f"wrk exited {completed.returncode}:\n{completed.stderr}")
    result = parse_wrk(completed.stdout)
    if result.error_responses or result.socket_errors or not (result.requests or warmup):
        raise BenchmarkError(
            f"{url}: {result.error_responses} error responses and {result.socket_errors} "
            f"socket errors out of {result.requests} requests; the numbers would be "
            f"meaningless.\n{completed.stdout}"
        )
    return result


# --- What is measured -------------------------------------------------------------------------

CIRCLEMART = "circlemart"
OSCAR = "oscar"
ENDPOINT_NAMES = ("list", "detail", "search")
VIEWERS = ("anonymous", "signed-in")


@dataclass(frozen=True)
class Choice:
    """The product, category and search term both shops are measured on."""

    product: ProductSpec
    root: CategorySpec
    search_term: str
    list_titles: tuple[str, ...]
    search_titles: tuple[str, ...]


def choose(catalog: Catalog, *, search_term: str | None) -> Choice:
    """The first product from the middle of the catalog with three variants (a parent with
    children in Oscar); its root category; its leaf's English name as the search term
    (Oscar's Whoosh index does not segment Chinese; Circlemart and Oscar's simple backend
    would find Chinese too)."""
    middle = len(catalog.products) // 2
    ordered = catalog.products[middle:] + catalog.products[:middle]
    product = next((p for p in ordered if len(p.variants) == 3), ordered[0])
    root = next(c for c in catalog.categories if c.slug == product.root)
    leaf = next(c for c in catalog.categories if c.slug == product.category)
    term = search_term or leaf.name_en
    folded = term.casefold()
    return Choice(
        product=product,
        root=root,
        search_term=term,
        list_titles=tuple(html.escape(p.title) for p in catalog.products if p.root == root.slug),
        search_titles=tuple(
            html.escape(p.title)
            for p in catalog.products
            if folded in p.title.casefold() or folded in p.title_en.casefold()
        ),
    )


def circlemart_endpoints(choice: Choice, ids: Mapping[str, Any]) -> dict[str, Endpoint]:
    product_id = ids["products"][choice.product.code]
    return {
        "list": Endpoint("list", f"/c/{choice.root.slug}/", choice.list_titles),
        "detail": Endpoint("detail", f"/p/{product_id}/", (html.escape(choice.product.title),)),
        "search": Endpoint(
            "search", f"/search/?q={urllib.parse.quote(choice.search_term)}", choice.search_titles
        ),
    }


def oscar_endpoints(choice: Choice, ids: Mapping[str, Any]) -> dict[str, Endpoint]:
    product_id, slug = ids["products"][choice.product.code]
    return {
        "list": Endpoint("list", ids["categories"][choice.root.slug], choice.list_titles),
        "detail": Endpoint(
            "detail", f"/catalogue/{slug}_{product_id}/", (html.escape(choice.product.title),)
        ),
        "search": Endpoint(
            "search", f"/search/?q={urllib.parse.quote(choice.search_term)}", choice.search_titles
        ),
    }


@dataclass(frozen=True)
class Measurement:
    endpoint: str
    viewer: str
    server: str
    shop: str
    path: str
    requests_per_second: float  # median over rounds
    requests_per_second_range: tuple[float, float]
    p50_ms: float  # median over rounds
    p99_ms: float  # median over rounds
    requests: int  # over all rounds
    ratio_to_oscar: float | None


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def summarise(
    raw: Mapping[tuple[str, str, str], list[WrkResult]],
    *,
    servers: Mapping[str, ServerSpec],
    endpoints: Mapping[str, Mapping[str, Endpoint]],
    reference: str,
) -> list[Measurement]:
    medians = {key: _median([r.requests_per_second for r in runs]) for key, runs in raw.items()}
    measurements = []
    for (endpoint, viewer, server), runs in raw.items():
        spec = servers[server]
        oscar_rate = medians.get((endpoint, viewer, reference))
        rate = medians[(endpoint, viewer, server)]
        measurements.append(
            Measurement(
                endpoint=endpoint,
                viewer=viewer,
                server=server,
                shop=spec.shop,
                path=endpoints[server][endpoint].path,
                requests_per_second=rate,
                requests_per_second_range=(
                    min(r.requests_per_second for r in runs),
                    max(r.requests_per_second for r in runs),
                ),
                p50_ms=_median([r.p50_ms for r in runs]),
                p99_ms=_median([r.p99_ms for r in runs]),
                requests=sum(r.requests for r in runs),
                ratio_to_oscar=rate / oscar_rate
                if spec.shop == CIRCLEMART and oscar_rate
                else None,
            )
        )
    return measurements


@dataclass(frozen=True)
class Verdict:
    target: str
    server: str
    viewer: str
    value: str
    passed: bool | None  # None: not judged (another connection count)


def verdicts(measurements: Sequence[Measurement], *, connections: int) -> list[Verdict]:
    found = []
    for m in measurements:
        if m.shop != CIRCLEMART:
            continue
        if m.endpoint in ("list", "detail") and m.ratio_to_oscar is not None:
            found.append(
                Verdict(
                    target=f"{m.endpoint} ≥ {TARGET_RATIO:g}× Oscar req/s",
                    server=m.server,
                    viewer=m.viewer,
                    value=f"{m.ratio_to_oscar:.2f}×",
                    passed=m.ratio_to_oscar >= TARGET_RATIO,
                )
            )
        if m.endpoint == "search":
            found.append(
                Verdict(
                    target=f"search p99 < {TARGET_SEARCH_P99_MS:g} ms "
                    f"at {TARGET_CONNECTIONS} connections",
                    server=m.server,
                    viewer=m.viewer,
                    value=f"{m.p99_ms:.1f} ms",
                    passed=m.p99_ms < TARGET_SEARCH_P99_MS
                    if connections == TARGET_CONNECTIONS
                    else None,
                )
            )
    return found


# --- Report -----------------------------------------------------------------------------------


def _text_table(header: Sequence[str], rows: Sequence[Sequence[str]], *, left: int) -> str:
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(width) if i < left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


def _rate(requests_per_second: float) -> str:
    """Whole requests per second, with a decimal where that is all there is (Oscar's 1.6)."""
    if requests_per_second >= 100:
        return f"{requests_per_second:,.0f}"
    return f"{requests_per_second:.1f}"


def format_results(measurements: Sequence[Measurement], *, rounds: int) -> str:
    blocks = []
    for endpoint in ENDPOINT_NAMES:
        chosen = [m for m in measurements if m.endpoint == endpoint]
        if not chosen:
            continue
        paths = dict.fromkeys(f"{m.shop} {m.path}" for m in chosen)
        header = ("viewer", "server", "req/s", f"range of {rounds}", "p50 ms", "p99 ms", "vs Oscar")
        rows = [
            (
                m.viewer,
                m.server,
                _rate(m.requests_per_second),
                f"{_rate(m.requests_per_second_range[0])}–{_rate(m.requests_per_second_range[1])}",
                f"{m.p50_ms:.1f}",
                f"{m.p99_ms:.1f}",
                f"{m.ratio_to_oscar:.2f}×" if m.ratio_to_oscar is not None else "",
            )
            for m in chosen
        ]
        blocks.append(f"{endpoint}: " + "; ".join(paths) + "\n" + _text_table(header, rows, left=2))
    return "\n\n".join(blocks)


def format_verdicts(found: Sequence[Verdict]) -> str:
    labels = {True: "PASS", False: "FAIL", None: "n/a"}
    rows = [(labels[v.passed], v.target, v.server, v.viewer, v.value) for v in found]
    return _text_table(("", "target", "server", "viewer", "measured"), rows, left=4)


def machine_facts(
    *, postgres: Postgres, redis_url: str, oscar: Mapping[str, str]
) -> dict[str, str]:
    wrk_banner = subprocess.run([WRK, "--version"], capture_output=True, text=True, check=False)
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )

    def version(distribution: str) -> str:
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            return "not installed"

    facts = {
        "cpus": f"{len(os.sched_getaffinity(0))} × {cpu}",
        "memory": f"{memory_kib / 1024 / 1024:.0f} GiB",
        "platform": platform.platform(),
        "python": platform.python_version(),
        "postgresql": postgres.psql("SHOW server_version").strip(),
        "redis": "off (local-memory caches)" if not redis_url else _redis_version(redis_url),
        "wrk": (wrk_banner.stdout or wrk_banner.stderr).split(" Copyright")[0].strip(),
        "circlemart django": version("Django"),
        "circlemart gunicorn": version("gunicorn"),
        "circlemart uvicorn": version("uvicorn"),
        "uvloop / httptools": f"{version('uvloop')} / {version('httptools')}",
    }
    facts.update({f"oscar venv {name}": value for name, value in oscar.items()})
    return facts


def _redis_version(url: str) -> str:
    import redis

    return str(redis.Redis.from_url(url).info("server")["redis_version"])


# --- Main -------------------------------------------------------------------------------------


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="CI smoke run: 300 products, 1 s rows, no Oscar unless --oscar, no verdict",
    )
    parser.add_argument("--products", type=int, help="catalog size [10000; --quick 300]")
    parser.add_argument("--seed", type=int, default=20260611, help="catalog seed")
    parser.add_argument("--duration", type=int, help="seconds per run [10; --quick 1]")
    parser.add_argument("--rounds", type=int, help="runs per row, median shown [3; --quick 1]")
    parser.add_argument("--warmup", type=int, help="unmeasured seconds first [3; --quick 0]")
    parser.add_argument(
        "--server",
        choices=["wsgi", "asgi", "both"],
        default=load.serve_default_server(),
        help="Circlemart's server(s): what `circlemart serve` runs by default [%(default)s]",
    )
    parser.add_argument(
        "--oscar",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="measure django-oscar beside Circlemart [on; off with --quick]",
    )
    parser.add_argument(
        "--open-loop",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="search's open-loop latency at 25/50/75 %% of its capacity (bench/load.py) [on]",
    )
    parser.add_argument(
        "--open-duration", type=float, help="seconds per open-loop point [10; --quick 1]"
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk connections [32]")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers [2]")
    parser.add_argument(
        "--oscar-worker",
        choices=["same", "sync"],
        default="same",
        help="same: the worker class of Circlemart's WSGI server; sync: gunicorn's default",
    )
    parser.add_argument(
        "--viewers",
        default=",".join(VIEWERS),
        help="anonymous and/or signed-in (a session cookie) [anonymous,signed-in]",
    )
    parser.add_argument("--search-term", help="default: the chosen product's leaf, in English")
    parser.add_argument(
        "--oscar-simple-search",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure search on Haystack's simple backend, Oscar's out-of-the-box one",
    )
    parser.add_argument(
        "--postgres",
        default="postgres://postgres@127.0.0.1:5432",
        help="server for the two throwaway databases",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="cache of both shops, under per-run key prefixes; '' = local memory",
    )
    parser.add_argument("--oscar-venv", type=Path, default=OSCAR_VENV_CACHE)
    parser.add_argument(
        "--fresh-oscar-venv", action="store_true", help="a throwaway venv in the temp dir"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the databases and the work dir (var/bench/)"
    )
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    arguments = parser.parse_args(argv)
    quick = arguments.quick
    for name, normal, short in (
        ("products", 10_000, 300),
        ("duration", 10, 1),
        ("rounds", 3, 1),
        ("warmup", 3, 0),
        ("open_duration", 10.0, 1.0),
        ("oscar", True, False),
    ):
        if getattr(arguments, name) is None:
            setattr(arguments, name, short if quick else normal)
    arguments.viewers = [v.strip() for v in arguments.viewers.split(",") if v.strip()]
    if not set(arguments.viewers) <= set(VIEWERS) or not arguments.viewers:
        parser.error(f"--viewers takes {' and/or '.join(VIEWERS)}")
    return arguments


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # unwinds through every cleanup below


@dataclass
class Run:
    """Everything one run sets up; main() tears it down."""

    arguments: argparse.Namespace
    work: Path
    stamp: str
    postgres: Postgres
    notes: list[str] = field(default_factory=list)


def prepare_circlemart(run: Run, catalog_path: Path, images: Path) -> tuple[dict[str, str], Any]:
    database = f"circlemart_bench_{run.stamp}"
    environment = dict(os.environ)
    for name in ("DEBUG", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DB_CONN_MAX_AGE"):
        environment.pop(name, None)
    environment.update(
        {
            "CIRCLEMART_DATA_DIR": str(run.work / "circlemart-data"),
            "DATABASE_URL": run.postgres.url(database),
            "RATELIMIT_ENABLED": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if run.arguments.redis_url:
        environment["REDIS_URL"] = run.arguments.redis_url
        environment["CACHE_KEY_PREFIX"] = f"cm-bench-{run.stamp}"
    cli = [sys.executable, "-m", "circlemart.config.cli"]
    print("circlemart: migrate, collectstatic", flush=True)
    run_quiet([*cli, "migrate", "--noinput"], env=environment, cwd=run.work)
    if not http_floor.copied_from_template(["collectstatic"], environment):
        run_quiet([*cli, "collectstatic", "--noinput"], env=environment, cwd=run.work)
    out = run.work / "circlemart-ids.json"
    snippet = CIRCLEMART_LOAD_SNIPPET.format(
        bench_dir=str(BENCH_DIR), catalog=str(catalog_path), images=str(images), out=str(out)
    )
    run_streamed([*cli, "shell", "-c", snippet], env=environment, cwd=run.work, prefix="")
    print("circlemart: reindex", flush=True)
    run_streamed([*cli, "reindex"], env=environment, cwd=run.work, prefix="")
    run.postgres.psql("VACUUM ANALYZE", database=database)
    return environment, json.loads(out.read_text())


def prepare_oscar(
    run: Run, python: Path, catalog_path: Path, images: Path
) -> tuple[dict[str, str], Any]:
    database = f"oscar_bench_{run.stamp}"
    environment = dict(os.environ)
    for name in ("DEBUG", "DATABASE_URL", "REDIS_URL"):
        environment.pop(name, None)
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "oscar_site.settings",
            "PYTHONPATH": str(BENCH_DIR),
            "OSCAR_BENCH_DATA_DIR": str(run.work / "oscar-data"),
            "OSCAR_BENCH_SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
            "OSCAR_BENCH_DATABASE_URL": run.postgres.url(database),
            "OSCAR_BENCH_SEARCH": "whoosh",
            "PYTHONUNBUFFERED": "1",
            # Whoosh warns on every faceted query that it cannot facet; Oscar asks for facets.
            "PYTHONWARNINGS": "ignore",
        }
    )
    if run.arguments.redis_url:
        environment["OSCAR_BENCH_REDIS_URL"] = run.arguments.redis_url
        environment["OSCAR_BENCH_CACHE_PREFIX"] = f"oscar-bench-{run.stamp}"
    (run.work / "oscar-data").mkdir(exist_ok=True)
    django_admin = [str(python), "-m", "django"]
    print("oscar: migrate, collectstatic", flush=True)
    run_quiet([*django_admin, "migrate", "--noinput"], env=environment, cwd=run.work)
    run_quiet([*django_admin, "collectstatic", "--noinput"], env=environment, cwd=run.work)
    out = run.work / "oscar-ids.json"
    run_streamed(
        [str(python), "-m", "oscar_site.loader", str(catalog_path), str(images), str(out)],
        env=environment,
        cwd=run.work,
        prefix="",
    )
    print("oscar: rebuild_index (Whoosh; one batch, which is the fastest way)", flush=True)
    started = time.monotonic()
    run_quiet(
        [*django_admin, "rebuild_index", "--noinput", "--batch-size", str(run.arguments.products)],
        env=environment,
        cwd=run.work,
    )
    print(f"oscar: indexed in {time.monotonic() - started:.0f} s", flush=True)
    run.postgres.psql("VACUUM ANALYZE", database=database)
    return environment, json.loads(out.read_text())


def worker_label(worker_arguments: Sequence[str]) -> str:
    """ "gthread×4", "sync", "uvicorn_worker.UvicornWorker", a project's own worker class
    (`circlemart serve`'s) → a short column label."""
    worker = worker_arguments[worker_arguments.index("--worker-class") + 1]
    short = worker.rsplit(".", 1)[-1]
    if worker == "uvicorn_worker.UvicornWorker":
        return "asgi uvicorn"
    if "Uvicorn" in short:
        return f"asgi {short}"
    if "--threads" in worker_arguments:
        return f"wsgi {short}×{worker_arguments[worker_arguments.index('--threads') + 1]}"
    return f"wsgi {short}"


def server_specs(
    run: Run,
    *,
    oscar_python_path: Path,
    circlemart_env: Mapping[str, str],
    oscar_env: Mapping[str, str],
) -> dict[str, ServerSpec]:
    """Circlemart exactly as `circlemart serve` starts it (WSGI by default, ASGI on request);
    Oscar with the worker class of Circlemart's WSGI server unless told otherwise."""
    from circlemart.config.cli import server_arguments

    workers = run.arguments.workers
    circlemart_wsgi = server_arguments("wsgi", workers)
    circlemart_asgi = server_arguments("asgi", workers)
    oscar_worker = (
        ["--worker-class", "sync"]
        if run.arguments.oscar_worker == "sync"
        else circlemart_wsgi[1 : circlemart_wsgi.index("--workers")]
    )
    oscar_arguments = ["oscar_site.wsgi:application", *oscar_worker, "--workers", str(workers)]
    oscar_name = f"oscar {worker_label(oscar_arguments)}"
    specs = {
        f"circlemart {worker_label(circlemart_asgi)}": ServerSpec(
            name=f"circlemart {worker_label(circlemart_asgi)}",
            shop=CIRCLEMART,
            command=(sys.executable, "-m", "gunicorn", *circlemart_asgi),
            # As `circlemart serve --server asgi` sets it.
            env={"DB_CONN_MAX_AGE": "0", **circlemart_env},
            cwd=run.work,
            probe_path="/hello",
        ),
        f"circlemart {worker_label(circlemart_wsgi)}": ServerSpec(
            name=f"circlemart {worker_label(circlemart_wsgi)}",
            shop=CIRCLEMART,
            command=(sys.executable, "-m", "gunicorn", *circlemart_wsgi),
            env=circlemart_env,
            cwd=run.work,
            probe_path="/hello",
        ),
        oscar_name: ServerSpec(
            name=oscar_name,
            shop=OSCAR,
            command=(str(oscar_python_path), "-m", "gunicorn", *oscar_arguments),
            env=oscar_env,
            cwd=run.work,
            probe_path="/",
        ),
    }
    if run.arguments.oscar_simple_search:
        specs[f"{oscar_name}, simple search"] = ServerSpec(
            name=f"{oscar_name}, simple search",
            shop=OSCAR,
            command=specs[oscar_name].command,
            env={**oscar_env, "OSCAR_BENCH_SEARCH": "simple"},
            cwd=run.work,
            probe_path="/",
        )
    kinds = {"wsgi", "asgi"} if run.arguments.server == "both" else {run.arguments.server}
    return {
        name: spec
        for name, spec in specs.items()
        if (spec.shop == OSCAR and run.arguments.oscar)
        or (spec.shop == CIRCLEMART and name.split()[1] in kinds)
    }


def production_server(specs: Mapping[str, ServerSpec]) -> str:
    """The Circlemart row `circlemart serve` runs by default (else the first Circlemart row)."""
    circlemart = [name for name, spec in specs.items() if spec.shop == CIRCLEMART]
    default = f"{CIRCLEMART} {load.serve_default_server()} "
    return next((name for name in circlemart if name.startswith(default)), circlemart[0])


def measure_search_open_loop(
    run: Run,
    *,
    server: RunningServer,
    endpoint: Endpoint,
    raw: Sequence[WrkResult],
    headers: Mapping[str, str],
) -> list[dict[str, Any]]:
    """Search at 25/50/75 % of its own closed-loop capacity, Poisson arrivals, latency from
    each request's scheduled send (bench/load.py)."""
    capacity = _median([r.requests_per_second for r in raw])
    points = []
    for index, fraction in enumerate(load.FRACTIONS):
        result = load.open_loop(
            server.base_url,
            [load.Request(endpoint.path, headers=dict(headers))],
            rate=capacity * fraction,
            duration=run.arguments.open_duration,
            seed=load.DEFAULT_SEED + index,
        )
        server.drain()
        print(
            f"  open loop search at {fraction:.0%} of {capacity:,.0f} req/s: "
            f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, {result.ok} ok, "
            f"{result.timeouts} timeouts, client CPU {result.client_cpu_share:.0%}",
            flush=True,
        )
        if result.ok == 0:
            raise BenchmarkError(f"search answered nothing under open loop: {result}")
        points.append({"fraction": fraction, "capacity": capacity, **asdict(result)})
    return points


def format_open_loop(points: Sequence[Mapping[str, Any]]) -> str:
    header = ["load", "offered", "sent/s", "p50 ms", "p90 ms", "p99 ms", "ok", "errors"]
    header += ["timeouts", "client CPU", "behind"]
    rows = [
        (
            f"{p['fraction']:.0%}",
            _rate(p["offered_rate"]),
            _rate(p["achieved_rate"]),
            f"{p['p50_ms']:.1f}",
            f"{p['p90_ms']:.1f}",
            f"{p['p99_ms']:.1f}",
            str(p["ok"]),
            str(p["error_responses"] + p["connection_errors"] + p["shed"]),
            str(p["timeouts"]),
            f"{p['client_cpu_share']:.0%}",
            "yes" if p["behind_schedule"] else "no",
        )
        for p in points
    ]
    return _text_table(header, rows, left=1)


def measure(
    run: Run,
    *,
    servers: Mapping[str, RunningServer],
    endpoints: Mapping[str, Mapping[str, Endpoint]],
    cookies: Mapping[str, str],
) -> dict[tuple[str, str, str], list[WrkResult]]:
    """Rounds of every row, interleaved (list: each server, then detail: …), so that a slow
    spell of this shared machine lands on Circlemart and Oscar alike."""
    arguments = run.arguments
    raw: dict[tuple[str, str, str], list[WrkResult]] = {}
    for round_number in range(1, arguments.rounds + 1):
        for endpoint in ENDPOINT_NAMES:
            for viewer in arguments.viewers:
                for name, server in servers.items():
                    if endpoint not in endpoints[name]:
                        continue
                    headers = {"Cookie": cookies[server.spec.shop]} if viewer == "signed-in" else {}
                    url = server.base_url + endpoints[name][endpoint].path
                    if round_number == 1 and arguments.warmup > 0:
                        run_wrk(
                            url,
                            headers=headers,
                            seconds=arguments.warmup,
                            connections=arguments.connections,
                            warmup=True,
                        )
                        server.drain()
                    result = run_wrk(
                        url,
                        headers=headers,
                        seconds=arguments.duration,
                        connections=arguments.connections,
                    )
                    server.drain()
                    raw.setdefault((endpoint, viewer, name), []).append(result)
                    print(
                        f"  round {round_number}/{arguments.rounds}  {endpoint:<6} {viewer:<9} "
                        f"{name:<36} {result.requests_per_second:>8,.0f} req/s  "
                        f"p99 {result.p99_ms:>8.1f} ms",
                        flush=True,
                    )
    return raw


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    for tool, hint in (
        (WRK, "apt-get install -y wrk"),
        ("psql", "apt-get install -y postgresql-client"),
    ):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed: `{hint}` (Debian), then run again.")
            return 2
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    postgres_url = urllib.parse.urlsplit(arguments.postgres)
    postgres = Postgres(
        host=postgres_url.hostname or "127.0.0.1",
        port=str(postgres_url.port or 5432),
        user=postgres_url.username or "postgres",
    )
    stamp = time.strftime("%Y%m%d%H%M%S")
    catalog = generate_catalog(seed=arguments.seed, product_count=arguments.products)
    choice = choose(catalog, search_term=arguments.search_term)
    variants = sum(len(p.variants) for p in catalog.products)
    print(
        f"catalog: seed {arguments.seed}, {len(catalog.categories)} categories "
        f"({len(TREE)} roots), {len(catalog.products):,} products, {variants:,} variants"
    )
    print(
        f"measured on: {choice.root.slug!r} ({choice.root.name}, {len(choice.list_titles):,} "
        f"products) · product {choice.product.code} {choice.product.title} "
        f"({len(choice.product.variants)} variants) · search {choice.search_term!r} "
        f"({len(choice.search_titles):,} matches)"
    )

    measurements: list[Measurement] = []
    with ExitStack() as cleanup:
        if arguments.keep:
            work = PROJECT_DIR / "var" / "bench" / f"catalog-vs-oscar-{stamp}"
            work.mkdir(parents=True)
        else:
            work = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="cm-oscar-")))
        run = Run(arguments=arguments, work=work, stamp=stamp, postgres=postgres)
        try:
            python = Path(sys.executable)  # unused without Oscar
            oscar_versions: dict[str, str] = {}
            if arguments.oscar:
                venv = work / "oscar-venv" if arguments.fresh_oscar_venv else arguments.oscar_venv
                python = oscar_python(venv=venv)
                oscar_versions = venv_versions(
                    python, ["django-oscar", "Django", "django-haystack", "Whoosh", "gunicorn"]
                )
                print("oscar venv: " + ", ".join(f"{k} {v}" for k, v in oscar_versions.items()))

            catalog_path = work / "catalog.json"
            catalog_path.write_text(catalog.to_json())
            images = work / "images"
            draw_image_pool(images, seed=arguments.seed)
            template = os.environ.get(http_floor.TEMPLATE_DATABASE_ENV) or None
            databases = {f"circlemart_bench_{stamp}": template}
            if arguments.oscar:
                databases[f"oscar_bench_{stamp}"] = None
            for database, like in databases.items():
                postgres.create(database, template=like)
                if arguments.keep:
                    print(f"keeping database {database}")
                else:
                    cleanup.callback(postgres.drop, database)
            if arguments.redis_url:
                for prefix in (f"cm-bench-{stamp}", f"oscar-bench-{stamp}"):
                    cleanup.callback(redis_forget, arguments.redis_url, prefix)

            circlemart_env, circlemart_ids = prepare_circlemart(run, catalog_path, images)
            oscar_env: dict[str, str] = {}
            oscar_ids: Any = None
            if arguments.oscar:
                oscar_env, oscar_ids = prepare_oscar(run, python, catalog_path, images)
            print("sessions: one signed-in shopper per shop", flush=True)
            cookies = {
                CIRCLEMART: session_cookie(
                    [sys.executable, "-m", "circlemart.config.cli", "shell", "-c"],
                    CIRCLEMART_CREATE_USER,
                    env=circlemart_env,
                )
            }
            if arguments.oscar:
                cookies[OSCAR] = session_cookie(
                    [str(python), "-m", "django", "shell", "-c"], OSCAR_CREATE_USER, env=oscar_env
                )
            specs = server_specs(
                run, oscar_python_path=python, circlemart_env=circlemart_env, oscar_env=oscar_env
            )
            servers: dict[str, RunningServer] = {}
            for name, spec in specs.items():
                print(f"starting {name}", flush=True)
                servers[name] = cleanup.enter_context(running(spec, log_dir=work))
            endpoints: dict[str, dict[str, Endpoint]] = {}
            for name, server in servers.items():
                if server.spec.shop == CIRCLEMART:
                    endpoints[name] = circlemart_endpoints(choice, circlemart_ids)
                else:
                    endpoints[name] = oscar_endpoints(choice, oscar_ids)
                if name.endswith("simple search"):
                    # Haystack's simple backend turns Oscar's category filter into a literal
                    # search term, so category pages come out empty; detail does not search.
                    endpoints[name] = {"search": endpoints[name]["search"]}
                for viewer in arguments.viewers:
                    headers = {"Cookie": cookies[server.spec.shop]} if viewer == "signed-in" else {}
                    for endpoint in endpoints[name].values():
                        check_endpoint(server.base_url, endpoint, headers)
            print(
                f"measuring: wrk {WRK_THREADS} threads, {arguments.connections} connections, "
                f"{arguments.rounds} × {arguments.duration} s per row after {arguments.warmup} s "
                f"warm-up; gunicorn {arguments.workers} workers each; all servers stay up, "
                "one is loaded at a time",
                flush=True,
            )
            load_before = os.getloadavg()[0]
            if load_before > BUSY_LOAD_AVERAGE:
                run.notes.append(
                    f"load average {load_before:.1f} just before measuring on "
                    f"{len(os.sched_getaffinity(0))} cores: something else was using the "
                    "machine, so absolute numbers are low and noisy"
                )
                print(f"warning: {run.notes[-1]}", flush=True)
            raw = measure(run, servers=servers, endpoints=endpoints, cookies=cookies)
            reference = next((name for name, spec in specs.items() if spec.shop == OSCAR), "")
            measurements = summarise(raw, servers=specs, endpoints=endpoints, reference=reference)
            production = production_server(specs)
            search_open_loop: list[dict[str, Any]] = []
            if arguments.open_loop:
                search_open_loop = measure_search_open_loop(
                    run,
                    server=servers[production],
                    endpoint=endpoints[production]["search"],
                    raw=raw[("search", arguments.viewers[0], production)],
                    headers=(
                        {"Cookie": cookies[CIRCLEMART]}
                        if arguments.viewers[0] == "signed-in"
                        else {}
                    ),
                )
            facts = machine_facts(
                postgres=postgres, redis_url=arguments.redis_url, oscar=oscar_versions
            )
            facts["load average before / after measuring"] = (
                f"{load_before:.2f} / {os.getloadavg()[0]:.2f}"
            )
        except BenchmarkError as error:
            print(f"\nBENCHMARK FAILED: {error}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\ninterrupted: stopping servers, dropping databases", file=sys.stderr)
            return 130

    found = verdicts(measurements, connections=arguments.connections)
    commands = {name: " ".join(spec.command[1:]) for name, spec in specs.items()}
    cache = "Redis" if arguments.redis_url else "local memory"
    settings_summary = (
        f"DEBUG off on both; cache {cache} on both (own key prefixes); Circlemart "
        "RATELIMIT_ENABLED=0 and PostgreSQL through its psycopg pool (DB_POOL default); "
        "Oscar persistent connections (CONN_MAX_AGE 60), Whoosh index"
    )
    print("\nmachine: " + "; ".join(f"{name} {value}" for name, value in facts.items()))
    print(f"settings: {settings_summary}")
    for name, command in commands.items():
        print(f"server {name}: {command}")
    print()
    print(format_results(measurements, rounds=arguments.rounds))
    print()
    print(format_verdicts(found))
    headline = [v for v in found if v.server == production and v.viewer == "anonymous"]
    if headline:
        print(
            f"\nas `circlemart serve` runs it ({production}), anonymous shopper: "
            + "; ".join(
                f"{v.target}: {'PASS' if v.passed else 'FAIL' if v.passed is False else 'n/a'}"
                f" ({v.value})"
                for v in headline
            )
        )
    if search_open_loop:
        print(
            f"\nsearch open loop on {production} ({arguments.viewers[0]}), Poisson arrivals, "
            "latency from the scheduled send:"
        )
        print(format_open_loop(search_open_loop))
    if arguments.quick:
        print("\n--quick: a smoke run on a tiny catalog; the verdicts above are not judged")
    for note in run.notes:
        print(f"note: {note}")
    if arguments.json:
        document = {
            "machine": facts,
            "load": {
                "wrk_threads": WRK_THREADS,
                "connections": arguments.connections,
                "duration_seconds": arguments.duration,
                "rounds": arguments.rounds,
                "warmup_seconds": arguments.warmup,
                "gunicorn_workers": arguments.workers,
                "settings": settings_summary,
                "servers": commands,
            },
            "catalog": {
                "seed": arguments.seed,
                "products": len(catalog.products),
                "variants": variants,
                "categories": len(catalog.categories),
                "list_category": choice.root.slug,
                "detail_product": choice.product.code,
                "search_term": choice.search_term,
            },
            "results": [asdict(m) for m in measurements],
            "verdicts": [asdict(v) for v in found],
            "search_open_loop": {"server": production, "points": search_open_loop},
            "quick": arguments.quick,
            "notes": run.notes,
        }
        arguments.json.parent.mkdir(parents=True, exist_ok=True)
        arguments.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        print(f"\nwrote {arguments.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
