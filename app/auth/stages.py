"""Signing in as a sequence of proofs, and the one rule that says what comes next.

A sign-in proves who the person is with one method after another: a password today, a
second factor or a passkey as they arrive. After each proof :func:`next_stage` - a pure
function of the methods proved so far and the account's enrolled second factors - says
whether another proof is needed or the sign-in is complete; a complete sign-in becomes
a session that records how it was proved (``amr``, RFC 8176) and when (``auth_time``).
An unfinished sign-in is never a session.

| proved so far | account has a second factor | next |
|---|---|---|
| a password | no | complete: ``amr = ["pwd"]`` |
| a password | yes | a second factor |
| a password and a second factor | yes | complete: ``amr = ["pwd", <factor>]`` |
| a password and a recovery code | yes | complete: ``amr = ["pwd", "rec"]`` |
| a passkey (user verified: two factors in one) | either | complete: ``amr = [<hwk or swk>]`` |
| nothing | either | a first proof |

Proved by ``tests/unit/test_stages.py::test_stage_table``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Complete", "Method", "NeedFirstProof", "NeedSecondFactor", "Stage", "next_stage"]


class Method(StrEnum):
    """How a person proved who they are: RFC 8176 names, as ``amr`` carries them."""

    PASSWORD = "pwd"
    ONE_TIME_CODE = "otp"  # an authenticator app's code
    RECOVERY_CODE = "rec"  # one of the account's recovery codes (in place of the app's)
    HARDWARE_KEY = "hwk"  # a passkey bound to a device
    SOFTWARE_KEY = "swk"  # a passkey synced by a password manager


SECOND_FACTORS = frozenset(
    {Method.ONE_TIME_CODE, Method.RECOVERY_CODE, Method.HARDWARE_KEY, Method.SOFTWARE_KEY}
)
MULTI_FACTOR_ALONE = frozenset({Method.HARDWARE_KEY, Method.SOFTWARE_KEY})  # user verified


@dataclass(frozen=True, slots=True)
class NeedFirstProof:
    pass


@dataclass(frozen=True, slots=True)
class NeedSecondFactor:
    """The password was right; the account asks for one of ``factors`` too."""

    factors: frozenset[Method]


@dataclass(frozen=True, slots=True)
class Complete:
    amr: tuple[str, ...]  # the methods used, in the order they were proved


Stage = NeedFirstProof | NeedSecondFactor | Complete


def next_stage(proved: Collection[Method], *, enrolled: Collection[Method]) -> Stage:
    """What a sign-in needs after the proofs in ``proved`` (oldest first), for an account
    whose enrolled second factors are ``enrolled``."""
    methods = list(dict.fromkeys(proved))
    if not methods:
        return NeedFirstProof()
    amr = tuple(method.value for method in methods)
    if any(method in MULTI_FACTOR_ALONE for method in methods):
        return Complete(amr)
    factors = frozenset(enrolled) & SECOND_FACTORS
    if factors and not any(method in SECOND_FACTORS for method in methods):
        return NeedSecondFactor(factors)
    return Complete(amr)
