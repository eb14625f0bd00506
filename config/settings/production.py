"""Production: every secret from the environment, HTTPS only. `check --deploy` is clean here."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ.get("KPA_SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("KPA_SECRET_KEY must be set to a random string of 50+ characters.")
ALLOWED_HOSTS = [h for h in os.environ.get("KPA_ALLOWED_HOSTS", "").split(",") if h]

SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("KPA_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("KPA_EMAIL_PORT", "25"))
EMAIL_USE_TLS = os.environ.get("KPA_EMAIL_USE_TLS", "1") == "1"
