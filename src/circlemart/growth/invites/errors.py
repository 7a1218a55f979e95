"""Error codes of invites (stable strings clients can branch on)."""

CODE_UNKNOWN = "invite_code_unknown"  # no such code, or its owner's account is gone
SELF_INVITE = "self_invite"
INVITE_LOOP = "invite_loop"  # the inviter joined after the invitee (or is their downline)
ALREADY_BOUND = "already_bound"
BIND_WINDOW_CLOSED = "bind_window_closed"
NOT_HELD = "not_held"  # an operator decision on a milestone that is not held
