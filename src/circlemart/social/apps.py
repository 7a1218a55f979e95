from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SocialConfig(AppConfig):
    name = "circlemart.social"
    label = "social"
    verbose_name = _("Social")

    def ready(self) -> None:
        from circlemart.moderation import services as moderation
        from circlemart.social import content_sources, handlers, tasks  # noqa: F401  (registers)

        moderation.content_source_register(
            content_type="note", resolver=content_sources.note_as_content
        )
        moderation.content_source_register(
            content_type="comment", resolver=content_sources.comment_as_content
        )
        moderation.content_source_register(
            content_type="circle", resolver=content_sources.circle_as_content
        )
