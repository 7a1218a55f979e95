"""A small starter word list (written for Circlemart), Chinese and English, per category.

Operators extend it in the back office (Moderation → Sensitive words → Import words).
Words already present are left as they are.
"""

from django.db import migrations

STARTER_WORDS = [
    # (word, category, action)
    ("加微信", "spam", "review"),
    ("加我微信", "spam", "review"),
    ("代购返利", "spam", "review"),
    ("私聊有优惠", "spam", "review"),
    ("click here to win", "spam", "block"),
    ("free money now", "spam", "block"),
    ("赌博网站", "gambling", "block"),
    ("网上赌场", "gambling", "block"),
    ("online casino", "gambling", "block"),
    ("刷单返现", "fraud", "block"),
    ("代开发票", "fraud", "block"),
    ("guaranteed profit", "fraud", "review"),
    ("傻逼", "abuse", "mask"),
    ("脑残", "abuse", "mask"),
    ("idiot", "abuse", "mask"),
    ("moron", "abuse", "mask"),
    ("约炮", "sexual", "block"),
    ("出售枪支", "illegal", "block"),
]


def add_starter_words(apps, schema_editor):
    SensitiveWord = apps.get_model("moderation", "SensitiveWord")
    for word, category, action in STARTER_WORDS:
        SensitiveWord.objects.get_or_create(
            word=word, defaults={"category": category, "action": action, "is_active": True}
        )
    # Processes that built an empty matcher before this migration rebuild it.
    CacheGeneration = apps.get_model("core", "CacheGeneration")
    row, _ = CacheGeneration.objects.get_or_create(name="moderation:words", defaults={"value": 0})
    CacheGeneration.objects.filter(pk=row.pk).update(value=row.value + 1)


def remove_starter_words(apps, schema_editor):
    SensitiveWord = apps.get_model("moderation", "SensitiveWord")
    SensitiveWord.objects.filter(word__in=[word for word, _, _ in STARTER_WORDS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0001_initial"),
        ("core", "0002_cachegeneration"),
    ]

    operations = [migrations.RunPython(add_starter_words, remove_starter_words)]
