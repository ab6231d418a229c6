"""Page objects: what a user can see and do on each page, found by role and label."""

from pages.account_email import AccountEmailPage
from pages.dashboard import DashboardPage
from pages.forms import ErrorSummary
from pages.login import LoginPage
from pages.passkeys import PasskeysPage, VirtualAuthenticator
from pages.password import PasswordPage
from pages.register import RegisterPage
from pages.security import ReauthPage, RecoveryCodesPage, SecurityPage, TotpPage, TwoFactorPage
from pages.sessions import SessionsPage
from pages.site import ErrorPage, SignOutPage, SiteHeader

__all__ = [
    "AccountEmailPage",
    "DashboardPage",
    "ErrorPage",
    "ErrorSummary",
    "LoginPage",
    "PasskeysPage",
    "PasswordPage",
    "ReauthPage",
    "RecoveryCodesPage",
    "RegisterPage",
    "SecurityPage",
    "SessionsPage",
    "SignOutPage",
    "SiteHeader",
    "TotpPage",
    "TwoFactorPage",
    "VirtualAuthenticator",
]
