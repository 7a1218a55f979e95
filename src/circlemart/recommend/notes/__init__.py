"""The discover feed of notes ranked per viewer (social's `DiscoverRanker`): scoring,
author diversity, per-viewer snapshots paged by cursor, explanations and impressions."""
