"""The test suite: fast hashing, quiet mail, same security middleware as production."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403

DEBUG = False
# Argon2 costs ~50 ms per hash by design; the cast creates a dozen users per test. Tests that
# are about hashing put argon2 back first (see kpa/core/tests/test_auth_and_security.py).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
AXES_ENABLED = True
# Uploaded pieces written by tests (and by the demo some tests seed) go to a throw-away folder,
# never into the developer's var/media.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="kpa-test-media-"))
