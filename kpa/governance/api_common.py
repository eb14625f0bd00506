"""What every governance API area shares: the token's user and the error answers."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja.errors import AuthenticationError

from kpa.directory.schemas import ErrorOut

NOT_FOUND = {404: ErrorOut}
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut}


def api_user(request: HttpRequest) -> User:
    """The user the bearer token stands for (the API's auth ran before any route)."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise AuthenticationError
    return user
