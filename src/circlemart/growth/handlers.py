"""What growth does when other apps' events arrive: each mechanism subscribes in its own
handlers module, imported here so the app's ready() finds them all."""

from __future__ import annotations

# One import per mechanism (each module registers its handlers with @handles).
from circlemart.growth.distribution import handlers as distribution_handlers  # noqa: F401
from circlemart.growth.invites import handlers as invites_handlers  # noqa: F401
from circlemart.growth.levels import handlers as levels_handlers  # noqa: F401
from circlemart.growth.points import handlers as points_handlers  # noqa: F401
from circlemart.growth.tasks_centre import handlers as tasks_centre_handlers  # noqa: F401
