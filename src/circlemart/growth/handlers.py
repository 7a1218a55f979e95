"""What growth does when other apps' events arrive: each mechanism subscribes in its own
handlers module, imported here so the app's ready() finds them all."""

from __future__ import annotations

# One import per mechanism (each module registers its handlers with @handles).
