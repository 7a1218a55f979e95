"""Settings of the web server the admission-control integration tests start: the test settings
with the slow URLs of tests.config.admission_site."""

from tests.settings import *  # noqa: F403

ROOT_URLCONF = "tests.config.admission_site"
