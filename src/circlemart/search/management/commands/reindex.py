"""`circlemart reindex`: rebuild the product search index from the catalog."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from circlemart.search import services


class Command(BaseCommand):
    help = (
        "Rebuild the product search index in batches. Each batch commits with the progress "
        "row, so after Ctrl-C or a crash `reindex --resume` continues where it stopped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--resume",
            action="store_true",
            help="continue the last unfinished run after its last committed batch",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=services.INDEX_BATCH_SIZE,
            help=f"products per transaction (default {services.INDEX_BATCH_SIZE})",
        )
        parser.add_argument(
            "--clear",
            action="store_true",
            help="empty the index first (searches find nothing until the run ends)",
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        if options["resume"] and options["clear"]:
            raise CommandError("--resume and --clear exclude each other")
        try:
            visited = services.reindex_all(
                progress=not options["quiet"] and options["verbosity"] > 0,
                resume=options["resume"],
                batch_size=options["batch_size"],
                clear=options["clear"],
            )
        except KeyboardInterrupt:
            state = services.reindex_state()
            last = state.last_product_id if state else 0
            raise CommandError(
                f"Interrupted after product {last}; run `circlemart reindex --resume` to continue.",
                returncode=130,
            ) from None
        self.stdout.write(self.style.SUCCESS(f"Reindexed {visited} products."))
