from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "circlemart.core"
    label = "core"
    verbose_name = "Core"
