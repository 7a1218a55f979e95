"""Error codes of the task centre."""

TASK_NOT_FOUND = "task_not_found"
TASK_NOT_COMPLETED = "task_not_completed"
TASK_ALREADY_CLAIMED = "task_already_claimed"
