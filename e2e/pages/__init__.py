"""Page objects: what a user can see and do on each page, found by role and label."""

from pages.dashboard import DashboardPage
from pages.login import LoginPage
from pages.register import RegisterPage

__all__ = ["DashboardPage", "LoginPage", "RegisterPage"]
