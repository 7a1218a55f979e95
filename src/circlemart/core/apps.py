from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "circlemart.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from circlemart.core import checks  # noqa: F401  (registers)
