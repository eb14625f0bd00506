from django.contrib.auth import views as auth_views

from kpa.core.forms import LoginForm, PasswordResetForm


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
