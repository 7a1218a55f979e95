"""Growth: invites and fission, distribution commission, points, levels and badges, daily
check-in and tasks, interactive games. One sub-package per mechanism."""
