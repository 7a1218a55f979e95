from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "circlemart.reviews"
    label = "reviews"
    verbose_name = _("Reviews")

    def ready(self) -> None:
        from circlemart.moderation.services import content_source_register
        from circlemart.reviews import contracts, handlers, selectors  # noqa: F401

        # Users can report our content; moderation looks it up through these.
        for content_type, resolver in (
            (contracts.MODERATION_REVIEW, selectors.review_as_content),
            (contracts.MODERATION_FOLLOW_UP, selectors.follow_up_as_content),
            (contracts.MODERATION_QUESTION, selectors.question_as_content),
            (contracts.MODERATION_ANSWER, selectors.answer_as_content),
        ):
            content_source_register(content_type=content_type, resolver=resolver)
