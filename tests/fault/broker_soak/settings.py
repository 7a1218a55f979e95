"""The real settings plus the soak app, for the processes of the embedded-broker soak test."""

import os

from circlemart.config.settings import *  # noqa: F403
from circlemart.config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.fault.broker_soak"]
SOAK_RECORD_FILE = os.environ["SOAK_RECORD_FILE"]
