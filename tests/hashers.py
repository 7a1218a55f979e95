from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2idHasher(Argon2PasswordHasher):
    """Still argon2id and the same hash format; cheaper parameters keep the suite fast."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1
