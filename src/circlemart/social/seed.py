"""Demo social world: a power-law follower graph (a few stars, a long tail), then notes with
drawn covers, real-length titles and bodies (most in Chinese, some in English) tagging demo
products with #topics, circles, likes and comments (bulk inserts, counters computed here, so
seeding 1000 users stays within seconds; the ~120 covers are drawn once and shared)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate, product
from string import Formatter

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from PIL import Image
from tqdm import tqdm

from circlemart.social.covers import CoverText, illustrated_cover, text_cover
from circlemart.social.seed_texts import (
    CLOSINGS_EN,
    CLOSINGS_ZH,
    SUBLINES_EN,
    SUBLINES_ZH,
    TAGS_EN,
    TAGS_ZH,
    THEMES,
)
from circlemart.social.services import follows_bulk_insert, graph_counters_rebuild
from circlemart.social.services.images import picture_process


def power_law_edges(
    *, rng: random.Random, user_ids: list[int], exponent: float = 1.2
) -> list[tuple[int, int]]:
    """Each user follows 3–40 others picked with probability ∝ 1 / popularity-rank^exponent.

    Popularity ranks are a random permutation, so who becomes a star depends on the seed.
    """
    if len(user_ids) < 2:
        return []
    ranked = list(user_ids)
    rng.shuffle(ranked)
    cumulative = list(accumulate(1.0 / (rank + 1) ** exponent for rank in range(len(ranked))))
    edges: list[tuple[int, int]] = []
    for follower in user_ids:
        wanted = min(len(ranked) - 1, 3 + int(rng.paretovariate(1.5) * 3))
        wanted = min(wanted, 40)
        picked: set[int] = set()
        for _attempt in range(wanted * 4):
            if len(picked) >= wanted:
                break
            followee = rng.choices(ranked, cum_weights=cumulative, k=1)[0]
            if followee != follower:
                picked.add(followee)
        edges.extend((follower, followee) for followee in sorted(picked))
    return edges


def seed_follows(*, rng: random.Random, user_ids: list[int], progress: bool) -> int:
    edges = power_law_edges(rng=rng, user_ids=user_ids)
    chunks: Iterable[int] = range(0, len(edges), 2000)
    if progress:
        chunks = tqdm(chunks, desc="follows", unit="batch")
    for start in chunks:
        follows_bulk_insert(edges[start : start + 2000], recount=False)
    graph_counters_rebuild(user_ids)
    return len(edges)


CIRCLES = [
    # name, description, rules, illustration of the circle's cover, days since it was created
    (
        "摄影 Photography",
        "用镜头记录生活 · Life through a lens",
        "友善交流，原创优先 / Be kind, share your own work",
        "sun",
        300,
    ),
    (
        "跑步 Running",
        "一起跑起来 · Run together",
        "分享路线和装备 / Share routes and gear",
        "dumbbell",
        240,
    ),
    ("咖啡 Coffee", "城市咖啡探店 · Coffee shops in town", "不发广告 / No ads", "cup", 200),
    (
        "数码 Gadgets",
        "开箱与测评 · Unboxings and reviews",
        "真实体验 / Honest reviews only",
        "gadget",
        160,
    ),
    ("美妆 Beauty", "好物分享 · Beauty finds", "理性种草 / Recommend responsibly", "bottle", 120),
    (
        "家常菜 Home Cooking",
        "今天吃什么 · What's for dinner",
        "附上做法 / Share the recipe",
        "plate",
        60,
    ),
    ("穿搭 Style", "每日穿搭 · Outfit of the day", "不身材焦虑 / No body shaming", "clothes", 30),
    ("绿植 Plants", "阳台小花园 · Balcony gardens", "互相帮助 / Help each other", "plant", 12),
    ("周末出游 Weekend Trips", "周边好去处 · Day trips", "注明地点 / Say where it is", "sun", 5),
    (
        "租房好物 Renter Finds",
        "小空间大幸福 · Small flats, big joys",
        "不发广告 / No ads",
        "bag",
        2,
    ),
]
TOPICS = [
    "好物分享",
    "ootd",
    "开箱",
    "咖啡探店",
    "周末去哪儿",
    "数码",
    "健身打卡",
    "旅行",
    "美食",
    "护肤",
]
COMMENTS = [
    "好看！",
    "求链接 🙏",
    "Looks great!",
    "已收藏",
    "同款+1",
    "Where did you buy it?",
    "太实用了",
    "博主好会拍",
    "马住了，周末就去",
    "Saving this!",
    "请问是哪个色号？",
]
ENGLISH_SHARE = 0.2  # of notes written in English
COVER_VERSION = "v1"  # bump when the drawings change: new file names, old files unused
PORTRAIT, SQUARE = (540, 720), (540, 540)


@dataclass(frozen=True)
class StoredCover:
    image: str
    thumbnail: str
    width: int
    height: int


@dataclass
class CoverPools:
    illustrated: list[StoredCover]
    text: dict[str, list[StoredCover]]  # language → covers


@dataclass(frozen=True)
class CoverRecipe:
    size: tuple[int, int]
    illustration: str = ""  # an illustrated cover: what to draw, with an optional label
    label: str = ""
    text: CoverText | None = None  # a text cover


def _cover_jobs(rng: random.Random) -> list[tuple[int, str, CoverRecipe]]:
    """What to draw: (theme index, language or "", recipe) for every demo cover, in order."""
    jobs: list[tuple[int, str, CoverRecipe]] = []
    for index, theme in enumerate(THEMES):
        for number in range(6):
            kind = theme.illustrations[number % len(theme.illustrations)]
            label = ""
            if number % 3 == 1 and theme.labels:
                label = theme.labels[0] if number < 3 else theme.labels[-1]
            size = SQUARE if number in {2, 5} else PORTRAIT
            jobs.append((index, "", CoverRecipe(size, illustration=kind, label=label)))
        for language, phrases, tags, sublines, count in (
            ("zh", theme.covers_zh, TAGS_ZH, SUBLINES_ZH, 4),
            ("en", theme.covers_en, TAGS_EN, SUBLINES_EN, 2),
        ):
            for number in range(count):
                text = CoverText(
                    headline=phrases[number % len(phrases)],
                    tag=rng.choice(tags) if rng.random() < 0.7 else "",
                    subline=rng.choice(sublines),
                )
                size = SQUARE if number == 3 else PORTRAIT
                jobs.append((index, language, CoverRecipe(size, text=text)))
    return jobs


def _draw(recipe: CoverRecipe, rng: random.Random) -> Image.Image:
    if recipe.text is not None:
        return text_cover(rng, recipe.text, recipe.size)
    return illustrated_cover(rng, recipe.illustration, recipe.size, label=recipe.label)


def _store_cover(storage: Storage, name: str, picture: Image.Image) -> StoredCover:
    image_name, thumbnail_name = f"{name}.webp", f"{name}-thumb.webp"
    processed = picture_process(picture)
    for target, data in ((image_name, processed.large), (thumbnail_name, processed.thumbnail)):
        if storage.exists(target):
            storage.delete(target)
        storage.save(target, ContentFile(data))
    return StoredCover(image_name, thumbnail_name, processed.width, processed.height)


def picture_size_of(storage: Storage, name: str) -> tuple[int, int]:
    with storage.open(name, "rb") as handle, Image.open(handle) as picture:
        return picture.size


def seed_covers(*, rng: random.Random, progress: bool) -> list[CoverPools]:
    """Draw the demo covers once (about 120, reused by every note of their theme) and store
    them as note images are stored; files already in storage are reused."""
    from circlemart.social.models import NoteImage

    storage = NoteImage._meta.get_field("image").storage
    pools = [CoverPools(illustrated=[], text={"zh": [], "en": []}) for _ in THEMES]
    jobs = _cover_jobs(rng)
    seeds = [rng.randrange(1 << 30) for _ in jobs]
    steps: Iterable[int] = range(len(jobs))
    if progress:
        steps = tqdm(steps, desc="note covers", unit="cover")
    for step in steps:
        theme_index, language, recipe = jobs[step]
        name = f"notes/demo/{COVER_VERSION}-{theme_index:02d}-{step:03d}"
        if storage.exists(f"{name}.webp") and storage.exists(f"{name}-thumb.webp"):
            width, height = picture_size_of(storage, f"{name}.webp")
            stored = StoredCover(f"{name}.webp", f"{name}-thumb.webp", width, height)
        else:
            stored = _store_cover(storage, name, _draw(recipe, random.Random(seeds[step])))
        if language:
            pools[theme_index].text[language].append(stored)
        else:
            pools[theme_index].illustrated.append(stored)
    return pools


def _fields(template: str) -> list[str]:
    return [name for _, name, _, _ in Formatter().parse(template) if name]


class TitlePlanner:
    """Hands out (theme, language, title, slots) so that no title repeats until every
    combination of every template has been used."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pools: dict[tuple[int, str], list[tuple[str, dict[str, str]]]] = {}

    def _fill(self, index: int, language: str) -> list[tuple[str, dict[str, str]]]:
        theme = THEMES[index]
        templates = theme.titles_zh if language == "zh" else theme.titles_en
        combos: list[tuple[str, dict[str, str]]] = []
        for template in templates:
            names = _fields(template)
            combos.extend(
                (template, dict(zip(names, values, strict=True)))
                for values in product(*(theme.slots[name] for name in names))
            )
        self.rng.shuffle(combos)
        return combos

    def next(self, language: str) -> tuple[int, str, dict[str, str]]:
        open_themes = [
            index for index in range(len(THEMES)) if self.pools.get((index, language)) != []
        ]
        if not open_themes:  # everything used once: start over
            for index in range(len(THEMES)):
                self.pools.pop((index, language), None)
            open_themes = list(range(len(THEMES)))
        index = self.rng.choice(open_themes)
        pool = self.pools.get((index, language))
        if pool is None:
            pool = self.pools[(index, language)] = self._fill(index, language)
        template, chosen = pool.pop()
        theme = THEMES[index]
        slots = {name: self.rng.choice(values) for name, values in theme.slots.items()}
        slots.update(chosen)
        return index, template.format(**slots), slots


def note_body(rng: random.Random, theme_index: int, language: str, slots: dict[str, str]) -> str:
    """Three to eight sentences (an opening, two to five middles, a closing, maybe a second
    closing) and the theme's #topics."""
    theme = THEMES[theme_index]
    zh = language == "zh"
    openings = theme.openings_zh if zh else theme.openings_en
    middles = theme.middles_zh if zh else theme.middles_en
    closings = CLOSINGS_ZH if zh else CLOSINGS_EN
    picked = rng.sample(middles, k=min(len(middles), rng.randint(2, 5)))
    sentences = [rng.choice(openings), *picked, rng.choice(closings)]
    separator = "" if zh else " "
    paragraphs = [
        sentences[0].format(**slots),
        separator.join(sentence.format(**slots) for sentence in sentences[1:-1]),
        sentences[-1].format(**slots),
    ]
    related = rng.choice(theme.related)
    return "\n".join(paragraphs) + f"\n#{theme.topic} #{related}"


def seed_content(
    *, rng: random.Random, user_ids: list[int], product_ids: list[int], progress: bool
) -> int:
    """Covers, notes, circles, likes and comments; does nothing when the demo circles exist."""
    from datetime import timedelta

    from circlemart.core import clock
    from circlemart.social.models import (
        Circle,
        CircleMember,
        Comment,
        Note,
        NoteImage,
        NoteLike,
        NoteProduct,
        NoteTopic,
        Topic,
    )
    from circlemart.social.services.hotness import engagement_of, hot_score
    from circlemart.social.text import topic_key

    if len(user_ids) < 2 or Circle.objects.filter(name=CIRCLES[0][0]).exists():
        return 0
    now = clock.now()
    pools = seed_covers(rng=random.Random(rng.randrange(1 << 30)), progress=progress)
    storage = Circle._meta.get_field("cover").storage
    owners = [rng.choice(user_ids) for _ in CIRCLES]
    circles = []
    for index, ((name, description, rules, kind, _age), owner) in enumerate(
        zip(CIRCLES, owners, strict=True)
    ):
        cover_name = f"circles/demo/{COVER_VERSION}-{index:02d}.webp"
        if not storage.exists(cover_name):
            picture = illustrated_cover(random.Random(index), kind, (240, 240))
            storage.save(cover_name, ContentFile(picture_process(picture).thumbnail))
        circles.append(
            Circle(
                name=name, description=description, rules=rules, owner_id=owner, cover=cover_name
            )
        )
    circles = Circle.objects.bulk_create(circles)
    members: list[CircleMember] = []
    for position, circle in enumerate(circles):
        # Older circles have had time to grow: member counts fall with the circle's age rank.
        size = min(len(user_ids), max(3, int(len(user_ids) * 0.12 / (1 + position * 0.6))))
        joined = {circle.owner_id} | set(rng.sample(user_ids, k=size))
        members += [
            CircleMember(
                circle=circle,
                user_id=user_id,
                role="owner" if user_id == circle.owner_id else "member",
            )
            for user_id in joined
        ]
        circle.member_count = len(joined)
        circle.created_at = now - timedelta(days=CIRCLES[position][4])
    CircleMember.objects.bulk_create(members, batch_size=2000)
    topics = {
        label: Topic.objects.get_or_create(name=topic_key(label), defaults={"label": label})[0]
        for label in TOPICS
    }
    planner = TitlePlanner(rng)
    authors = rng.sample(user_ids, k=max(1, len(user_ids) // 2))
    notes: list[Note] = []
    plan: list[tuple[list[str], list[int], list[StoredCover]]] = []
    for author_id in authors:
        language = "en" if rng.random() < ENGLISH_SHARE else "zh"
        theme_index, title, slots = planner.next(language)
        theme = THEMES[theme_index]
        text = note_body(rng, theme_index, language, slots)
        labels = [theme.topic, text.rsplit("#", 1)[-1]]
        tagged = rng.sample(product_ids, k=min(len(product_ids), rng.randrange(0, 3)))
        pool = pools[theme_index]
        cover = rng.choice(pool.illustrated + pool.text[language])
        extras = [item for item in pool.illustrated if item != cover]
        pictures = [cover, *rng.sample(extras, k=min(len(extras), rng.choice([0, 0, 1, 2])))]
        published = now - timedelta(minutes=rng.randrange(60 * 24 * 7))
        notes.append(
            Note(
                author_id=author_id,
                title=title,
                text=text,
                visibility="public",
                status=Note.Status.PUBLISHED,
                published_at=published,
                went_live_at=published,
                location=rng.choice(["上海", "北京", "杭州", "Shenzhen", "成都", "", ""]),
            )
        )
        plan.append((labels, tagged, pictures))
    notes = Note.objects.bulk_create(notes, batch_size=1000)
    NoteImage.objects.bulk_create(
        [
            NoteImage(
                note=note,
                position=position,
                image=picture.image,
                thumbnail=picture.thumbnail,
                width=picture.width,
                height=picture.height,
            )
            for note, (_, _, pictures) in zip(notes, plan, strict=True)
            for position, picture in enumerate(pictures)
        ],
        batch_size=2000,
    )
    NoteTopic.objects.bulk_create(
        [
            NoteTopic(note=note, topic=topics[label])
            for note, (labels, _, _) in zip(notes, plan, strict=True)
            for label in labels
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    NoteProduct.objects.bulk_create(
        [
            NoteProduct(note=note, product_id=product_id, position=position)
            for note, (_, tagged, _) in zip(notes, plan, strict=True)
            for position, product_id in enumerate(tagged)
        ],
        batch_size=2000,
    )
    likes: list[NoteLike] = []
    comments: list[Comment] = []
    for note in notes:
        fans = rng.sample(user_ids, k=min(len(user_ids), int(rng.paretovariate(1.3) * 2)))
        likes += [NoteLike(note=note, user_id=fan) for fan in fans]
        note.like_count = len(fans)
        talkers = rng.sample(user_ids, k=min(len(user_ids), rng.randrange(3)))
        comments += [
            Comment(note=note, author_id=talker, text=rng.choice(COMMENTS), went_live_at=now)
            for talker in talkers
        ]
        note.comment_count = len(talkers)
        note.hot_score = hot_score(
            engagement=engagement_of(
                likes=note.like_count, comments=note.comment_count, favourites=0, shares=0
            ),
            published_at=note.published_at,
        )
    NoteLike.objects.bulk_create(likes, batch_size=2000, ignore_conflicts=True)
    Comment.objects.bulk_create(comments, batch_size=2000)
    Note.objects.bulk_update(notes, ["like_count", "comment_count", "hot_score"], batch_size=1000)
    for label, topic in topics.items():
        topic.note_count = sum(1 for labels, _, _ in plan if label in labels)
    Topic.objects.bulk_update(list(topics.values()), ["note_count"])
    Circle.objects.bulk_update(circles, ["member_count", "created_at"])
    from circlemart.social.services import trending_recompute

    trending_recompute()
    return len(notes)
