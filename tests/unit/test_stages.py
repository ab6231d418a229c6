"""The sign-in stage rule (app/auth/stages.py): what comes after each proof, row by row
of the table in the module's docstring."""

from __future__ import annotations

import pytest

from app.auth.stages import Complete, Method, NeedFirstProof, NeedSecondFactor, Stage, next_stage

PWD, OTP, HWK, SWK = Method.PASSWORD, Method.ONE_TIME_CODE, Method.HARDWARE_KEY, Method.SOFTWARE_KEY
REC = Method.RECOVERY_CODE


@pytest.mark.parametrize(
    ("proved", "enrolled", "expected"),
    [
        ((PWD,), (), Complete(("pwd",))),
        ((PWD,), (OTP,), NeedSecondFactor(frozenset({OTP}))),
        ((PWD,), (OTP, HWK), NeedSecondFactor(frozenset({OTP, HWK}))),
        ((PWD, OTP), (OTP,), Complete(("pwd", "otp"))),
        ((PWD, REC), (OTP,), Complete(("pwd", "rec"))),
        ((HWK,), (), Complete(("hwk",))),
        ((SWK,), (OTP,), Complete(("swk",))),
        ((), (), NeedFirstProof()),
        ((), (OTP,), NeedFirstProof()),
        ((PWD, PWD), (), Complete(("pwd",))),  # a method proved twice counts once
    ],
    ids=[
        "password, no factor",
        "password, app enrolled",
        "password, app and passkey enrolled",
        "password then code",
        "password then recovery code",
        "passkey alone",
        "synced passkey, app enrolled",
        "nothing yet",
        "nothing yet, app enrolled",
        "password twice",
    ],
)
def test_stage_table(
    proved: tuple[Method, ...], enrolled: tuple[Method, ...], expected: Stage
) -> None:
    assert next_stage(proved, enrolled=enrolled) == expected


def test_a_password_is_never_a_second_factor() -> None:
    """Enrolling a "password" as a factor asks for nothing more (it is not one)."""
    assert next_stage((PWD,), enrolled=(PWD,)) == Complete(("pwd",))
