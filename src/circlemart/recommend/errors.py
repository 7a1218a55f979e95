"""Error codes of the recommend app (the `code` in API error bodies)."""

MODEL_CORRUPT = "model_corrupt"  # the file is unreadable, truncated or its hash differs
MODEL_MISMATCH = "model_mismatch"  # the model was trained on another shop's catalogue
MODEL_NOT_READY = "model_not_ready"
NO_PREVIOUS_MODEL = "no_previous_model"
TRAINING_RUNNING = "training_running"
PRODUCT_NOT_FOUND = "product_not_found"
INVALID_LIMIT = "invalid_limit"
INVALID_LIST = "invalid_list"
NOTHING_TO_TRAIN = "nothing_to_train"
MODEL_SERVING = "model_serving"  # the serving version cannot be retired
MODEL_TRAINING = "model_training"
