"""Model lifecycle: the shop's interactions, the training job with progress and resume, and
the scheduled retraining's keep-or-switch rule."""
