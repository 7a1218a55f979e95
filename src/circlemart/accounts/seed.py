"""Demo users: bilingual names, some with phones, repeatable for a given random generator."""

from __future__ import annotations

import random
from collections.abc import Iterable

from django.contrib.auth.hashers import make_password

from circlemart.accounts.contracts import Role
from circlemart.accounts.models import User
from circlemart.accounts.services import role_grant
from circlemart.core.crypto import lookup_digest
from circlemart.core.progress import Progress

DEMO_PASSWORD = "circlemart-demo"
DEMO_DOMAIN = "demo.circlemart.test"

CHINESE_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
CHINESE_GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "晓雯",
    "子涵",
    "欣怡",
    "梓萱",
    "浩然",
    "宇轩",
    "思远",
    "雨桐",
    "一诺",
    "佳怡",
    "俊杰",
    "嘉怡",
    "心怡",
    "若曦",
    "沐晨",
    "书瑶",
]
ENGLISH_FIRST = [
    "Emma",
    "Liam",
    "Olivia",
    "Noah",
    "Ava",
    "Ethan",
    "Sophia",
    "Mason",
    "Mia",
    "Lucas",
    "Isabella",
    "Logan",
    "Amelia",
    "James",
    "Harper",
    "Leo",
    "Chloe",
    "Daniel",
    "Grace",
    "Ryan",
    "Zoe",
    "Jack",
    "Lily",
    "Owen",
    "Ella",
    "Henry",
    "Nora",
    "Samuel",
    "Ruby",
    "Oscar",
]
ENGLISH_LAST = [
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Wilson",
    "Davies",
    "Evans",
    "Thomas",
    "Roberts",
    "Walker",
    "Wright",
    "Green",
    "Hall",
    "Wood",
    "Clarke",
    "Hughes",
    "Lee",
    "Chen",
    "Wong",
    "Lam",
    "Ng",
    "Tan",
    "Lim",
    "Martin",
    "Moore",
    "King",
    "Scott",
    "Young",
    "Baker",
    "Carter",
]
CITIES = [
    "上海",
    "北京",
    "深圳",
    "广州",
    "杭州",
    "成都",
    "武汉",
    "南京",
    "西安",
    "重庆",
    "苏州",
    "长沙",
    "厦门",
    "青岛",
    "Hong Kong",
    "Singapore",
    "London",
    "Vancouver",
]
INTERESTS = [
    "美妆",
    "穿搭",
    "数码",
    "咖啡",
    "露营",
    "健身",
    "母婴",
    "宠物",
    "家居",
    "美食",
    "旅行",
    "摄影",
    "读书",
    "sneakers",
    "skincare",
    "gaming",
    "tea",
    "baking",
    "yoga",
    "cycling",
]
BIOS = [
    "爱分享好物的普通人",
    "周末在路上",
    "记录生活里的小确幸",
    "Coffee first, then everything",
    "买买买也要理性",
    "Weekend baker and weekday coder",
    "专注母婴好物测评",
    "数码控 / 摄影爱好者",
    "",
    "",
]

# (email local part, nickname, roles)
STAFF_ACCOUNTS: list[tuple[str, str, list[Role]]] = [
    ("admin", "管理员 Admin", [Role.ADMIN]),
    ("merchant", "商家运营 Merchant", [Role.MERCHANT_STAFF]),
    ("moderator", "内容审核 Moderator", [Role.MODERATOR]),
    ("analyst", "数据分析 Analyst", [Role.ANALYST]),
    ("operator", "增长运营 Operator", [Role.OPERATOR]),
    ("creator", "种草达人 Creator", [Role.CREATOR]),
    ("shopper", "小明 Shopper", []),
]


def demo_email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def _name(rng: random.Random, index: int) -> str:
    if index % 3 == 2:
        return f"{rng.choice(ENGLISH_FIRST)} {rng.choice(ENGLISH_LAST)}"
    return rng.choice(CHINESE_SURNAMES) + rng.choice(CHINESE_GIVEN)


def _demo_user(rng: random.Random, index: int, password_hash: str) -> User:
    nickname = _name(rng, index)
    phone = f"+86139{index:08d}" if rng.random() < 0.4 else ""
    return User(
        email=demo_email(f"user{index:05d}"),
        phone=phone,
        phone_digest=lookup_digest(phone) if phone else None,
        nickname=nickname[:30],
        password=password_hash,
        city=rng.choice(CITIES),
        bio=rng.choice(BIOS),
        gender=rng.choice(["", "female", "female", "male", "male", "other"]),
        age_range=rng.choice(["", "18-24", "25-34", "25-34", "35-44", "45+"]),
        interests=rng.sample(INTERESTS, k=rng.randint(1, 4)),
    )


def seed_staff() -> User:
    """The demo logins, one per role; returns the admin."""
    admin = User.objects.filter(email=demo_email("admin")).first()
    if admin is None:
        admin = User.objects.create_superuser(
            email=demo_email("admin"), password=DEMO_PASSWORD, nickname="管理员 Admin"
        )
    role_grant(actor=admin, user=admin, role=Role.ADMIN)
    for local, nickname, roles in STAFF_ACCOUNTS[1:]:
        user = User.objects.filter(email=demo_email(local)).first()
        if user is None:
            user = User.objects.create_user(
                email=demo_email(local), password=DEMO_PASSWORD, nickname=nickname
            )
        for role in roles:
            role_grant(actor=admin, user=user, role=role)
    return admin


def seed_users(*, rng: random.Random, count: int, progress: bool) -> list[int]:
    """Create `count` shoppers (skipping ones that exist); returns all demo shopper ids."""
    password_hash = make_password(DEMO_PASSWORD)  # one hash for all: seeding stays fast
    batch: list[User] = []
    indices: Iterable[int] = range(count)
    if progress:
        indices = Progress(indices, desc="users", unit="user")
    for index in indices:
        batch.append(_demo_user(rng, index, password_hash))
        if len(batch) >= 500:
            User.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    if batch:
        User.objects.bulk_create(batch, ignore_conflicts=True)
    emails = [demo_email(f"user{index:05d}") for index in range(count)]
    return list(User.objects.filter(email__in=emails).order_by("id").values_list("id", flat=True))


def staff_logins() -> list[tuple[str, str, str]]:
    return [
        (demo_email(local), DEMO_PASSWORD, ", ".join(role.value for role in roles) or "shopper")
        for local, _, roles in STAFF_ACCOUNTS
    ]
