"""Who is acting: any request user, signed in or not. Gates decide what an anonymous one gets."""

from django.contrib.auth.models import AnonymousUser, User

# The platform uses Django's own User model.
AnyUser = User | AnonymousUser
