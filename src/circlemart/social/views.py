"""Pages of the social app: notes, circles, topics, profiles and feeds."""
