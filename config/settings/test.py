"""The test suite: fast hashing, quiet mail, same security middleware as production."""

from .base import *  # noqa: F403

DEBUG = False
# Argon2 stays first so tests exercise it; a cheap hasher follows for factories' bulk users.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
AXES_ENABLED = True
