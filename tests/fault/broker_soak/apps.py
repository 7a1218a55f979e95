from django.apps import AppConfig


class BrokerSoakConfig(AppConfig):
    name = "tests.fault.broker_soak"
    label = "broker_soak"

    def ready(self) -> None:
        from circlemart.config.celery import app
        from tests.fault.broker_soak import tasks  # noqa: F401  (registers soak.record)

        # The soak runs on an empty database: beat still runs (and dies with the worker) but
        # sends nothing, so the worker's log holds only the soak's own tasks.
        app.conf.beat_schedule = {}
