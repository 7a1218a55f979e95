from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "circlemart.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        from circlemart.search import checks, handlers, schema, segment, services, tasks  # noqa: F401  (registers)

        # Brand and category names join the segmentation dictionary on first use.
        segment.set_vocabulary_source(services.vocabulary_names)
        # A later migration that rebuilds the document table on SQLite drops its triggers;
        # re-ensuring the backend objects after every migrate keeps the index in sync.
        post_migrate.connect(
            schema.ensure_after_migrate, sender=self, dispatch_uid="circlemart-search-schema"
        )
