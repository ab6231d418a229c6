"""Page objects: what a user can see and do on each page, found by role and label."""

from pages.dashboard import DashboardPage
from pages.login import LoginPage
from pages.password import PasswordPage
from pages.register import RegisterPage
from pages.sessions import SessionsPage

__all__ = ["DashboardPage", "LoginPage", "PasswordPage", "RegisterPage", "SessionsPage"]
