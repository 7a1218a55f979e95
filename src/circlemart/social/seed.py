"""Demo social world: a power-law follower graph (a few stars, a long tail), then bilingual
notes tagging demo products with #topics, a few circles, likes and comments (bulk inserts,
counters computed here, so seeding 1000 users stays within seconds)."""

from __future__ import annotations

import random
from collections.abc import Iterable
from itertools import accumulate

from tqdm import tqdm

from circlemart.social.services import follows_bulk_insert, graph_counters_rebuild


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
    (
        "摄影 Photography",
        "用镜头记录生活 · Life through a lens",
        "友善交流，原创优先 / Be kind, share your own work",
    ),
    ("跑步 Running", "一起跑起来 · Run together", "分享路线和装备 / Share routes and gear"),
    ("咖啡 Coffee", "城市咖啡探店 · Coffee shops in town", "不发广告 / No ads"),
    ("数码 Gadgets", "开箱与测评 · Unboxings and reviews", "真实体验 / Honest reviews only"),
    ("美妆 Beauty", "好物分享 · Beauty finds", "理性种草 / Recommend responsibly"),
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
OPENINGS = [
    ("今天入手了这个，真的很惊喜！", "Picked this up today and I'm impressed!"),
    ("用了一个月，来说说真实感受。", "One month in, here is my honest take."),
    ("周末和朋友一起出门，顺便拍了几张。", "Out with friends this weekend, a few shots."),
    ("这个价位里最值得买的一款。", "Best value at this price point."),
    ("被问了好多次链接，统一回复一下。", "So many asked for the link, here it is."),
]
COMMENTS = [
    "好看！",
    "求链接 🙏",
    "Looks great!",
    "已收藏",
    "同款+1",
    "Where did you buy it?",
    "太实用了",
]


def seed_content(
    *, rng: random.Random, user_ids: list[int], product_ids: list[int], progress: bool
) -> int:
    """Notes, circles, likes and comments; does nothing when the demo circles exist."""
    from datetime import timedelta

    from circlemart.core import clock
    from circlemart.social.models import (
        Circle,
        CircleMember,
        Comment,
        Note,
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
    owners = rng.sample(user_ids, k=min(len(CIRCLES), len(user_ids)))
    circles = Circle.objects.bulk_create(
        [
            Circle(name=name, description=description, rules=rules, owner_id=owner)
            for (name, description, rules), owner in zip(CIRCLES, owners, strict=False)
        ]
    )
    members: list[CircleMember] = []
    for circle in circles:
        joined = {circle.owner_id} | set(
            rng.sample(user_ids, k=min(len(user_ids), 20 + rng.randrange(60)))
        )
        members += [
            CircleMember(
                circle=circle,
                user_id=user_id,
                role="owner" if user_id == circle.owner_id else "member",
            )
            for user_id in joined
        ]
        circle.member_count = len(joined)
    CircleMember.objects.bulk_create(members, batch_size=2000)
    topics = {
        label: Topic.objects.get_or_create(name=topic_key(label), defaults={"label": label})[0]
        for label in TOPICS
    }
    authors = rng.sample(user_ids, k=max(1, len(user_ids) // 2))
    notes: list[Note] = []
    plan: list[tuple[list[str], list[int]]] = []
    for index, author_id in enumerate(authors):
        chinese, english = OPENINGS[index % len(OPENINGS)]
        labels = rng.sample(TOPICS, k=2)
        tagged = rng.sample(product_ids, k=min(len(product_ids), rng.randrange(0, 3)))
        published = now - timedelta(minutes=rng.randrange(60 * 24 * 7))
        notes.append(
            Note(
                author_id=author_id,
                title=f"{chinese[:12]} {english[:24]}"[:60],
                text=f"{chinese}\n{english}\n#{labels[0]} #{labels[1]}",
                visibility="public",
                status=Note.Status.PUBLISHED,
                published_at=published,
                went_live_at=published,
                location=rng.choice(["上海", "北京", "杭州", "Shenzhen", ""]),
            )
        )
        plan.append((labels, tagged))
    notes = Note.objects.bulk_create(notes, batch_size=1000)
    NoteTopic.objects.bulk_create(
        [
            NoteTopic(note=note, topic=topics[label])
            for note, (labels, _) in zip(notes, plan, strict=True)
            for label in labels
        ],
        batch_size=2000,
    )
    NoteProduct.objects.bulk_create(
        [
            NoteProduct(note=note, product_id=product_id, position=position)
            for note, (_, tagged) in zip(notes, plan, strict=True)
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
        topic.note_count = sum(1 for labels, _ in plan if label in labels)
    Topic.objects.bulk_update(list(topics.values()), ["note_count"])
    Circle.objects.bulk_update(circles, ["member_count"])
    from circlemart.social.services import trending_recompute

    trending_recompute()
    return len(notes)
