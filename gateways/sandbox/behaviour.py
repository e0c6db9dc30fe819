"""How the simulated gateways misbehave, so tests can provoke every path of "money is never lost"."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from decimal import Decimal

from gateways.sandbox.values import money, parse_money

IPN_MODES = ("before_return", "after_return", "late", "duplicate", "never")
VALIDATION_ANSWERS = ("VALID", "INVALID_TRANSACTION")
RISK_LEVELS = ("0", "1")


@dataclass(frozen=True)
class Behaviour:
    """A payment keeps the behaviour in force when it started (`unreachable` is read on every call)."""

    ipn: str = "before_return"  # when the notification goes out, relative to sending the browser back
    ipn_delay: float = 2.0  # seconds after the return, for ipn="late"
    tamper_amount: bool = False  # the amount of the notification and the return is changed after signing
    paid_amount: str | None = None  # charge this instead of the asked amount (everything signed correctly)
    validation: str = "VALID"  # what SSLCommerz's validation API and transaction query say about paid payments
    risk_level: str = "0"
    refund_fail_once: bool = False  # the first refund request of a payment fails, later ones succeed
    unreachable: bool = False  # every API endpoint answers HTTP 503
    bkash_execute_error: bool = False  # execute completes the payment but answers 2117

    def __post_init__(self):
        if self.ipn not in IPN_MODES:
            raise ValueError(f"ipn must be one of {', '.join(IPN_MODES)}")
        if isinstance(self.ipn_delay, bool) or not isinstance(self.ipn_delay, int | float) or self.ipn_delay < 0:
            raise ValueError("ipn_delay must be a number of seconds, 0 or more")
        if self.validation not in VALIDATION_ANSWERS:
            raise ValueError(f"validation must be one of {', '.join(VALIDATION_ANSWERS)}")
        if self.risk_level not in RISK_LEVELS:
            raise ValueError('risk_level must be "0" or "1"')
        for flag in ("tamper_amount", "refund_fail_once", "unreachable", "bkash_execute_error"):
            if not isinstance(getattr(self, flag), bool):
                raise ValueError(f"{flag} must be true or false")
        if self.paid_amount is not None:
            amount = parse_money(self.paid_amount)
            if amount is None:
                raise ValueError("paid_amount must be a positive amount with at most two decimals")
            object.__setattr__(self, "paid_amount", money(amount))  # canonical "1040.00"

    def charged(self, asked: Decimal) -> Decimal:
        """What the customer pays when `asked` is asked."""
        return Decimal(self.paid_amount) if self.paid_amount else asked

    def with_flags(self, **flags) -> Behaviour:
        unknown = sorted(set(flags) - {f.name for f in fields(self)})
        if unknown:
            raise ValueError(f"unknown flag(s): {', '.join(unknown)}")
        return replace(self, **flags)

    def as_dict(self) -> dict:
        return asdict(self)
