"""The simulated SSLCommerz v4 (spec "SSLCommerz (v4)"): session init, the customer's choice with its
signed browser return and IPN, the validation API, the transaction query, refunds and refund queries.
HTTP is routes_sslcommerz.py's business; this module only keeps the state and builds the answers."""
from __future__ import annotations

import copy
import hashlib
import threading
from decimal import Decimal
from typing import Callable, Mapping
from urllib.parse import urlsplit

from gateways.sandbox.behaviour import Behaviour
from gateways.sandbox.delivery import Notification
from gateways.sandbox.records import BrowserReturn, Refund, SslcommerzSession
from gateways.sandbox.values import dhaka_now, money, new_id, parse_money

INIT_REQUIRED = ("store_id", "store_passwd", "total_amount", "currency", "tran_id", "success_url", "fail_url",
                 "cancel_url", "cus_name", "cus_email", "cus_phone", "cus_add1", "cus_city", "cus_country",
                 "shipping_method", "product_name", "product_category", "product_profile", "num_of_item")
URL_FIELDS = ("success_url", "fail_url", "cancel_url", "ipn_url")
STATUS_OF_CHOICE = {"pay": "VALID", "fail": "FAILED", "cancel": "CANCELLED"}
RETURN_URL_OF_CHOICE = {"pay": "success_url", "fail": "fail_url", "cancel": "cancel_url"}
STORE_ERROR = "Store Credential Error Or Store is De-active"
FEE_RATE = Decimal("0.025")  # what the gateway keeps: store_amount = amount - fee
SIMULATED_CARD = {"card_type": "VISA-Dutch Bangla", "card_no": "418117XXXXXX6675",
                  "card_issuer": "Dutch-Bangla Bank Limited", "card_brand": "VISA",
                  "card_issuer_country": "Bangladesh"}
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class SslcommerzSimulator:
    def __init__(self, lock: threading.RLock, behaviour: Callable[[], Behaviour]):
        self._lock, self._behaviour = lock, behaviour
        self._stores: dict[str, str] = {}  # store_id -> store_passwd, as first given at session init
        self._sessions: dict[str, SslcommerzSession] = {}  # by sessionkey, in creation order
        self._by_tran_id: dict[tuple[str, str], list[str]] = {}  # (store_id, tran_id) -> sessionkeys
        self._latest_by_tran_id: dict[str, str] = {}  # for find(): any store
        self._by_val_id: dict[str, str] = {}
        self._by_bank_tran_id: dict[str, str] = {}
        self._refunds_by_key: dict[tuple[str, str], Refund] = {}  # (store_id, refe_id)
        self._refunds_by_ref: dict[tuple[str, str], tuple[str, Refund]] = {}  # (store_id, ref) -> (sessionkey, ..)

    # -- the merchant's calls -----------------------------------------------------------------------------

    def init_session(self, form: Mapping[str, str], page_url: Callable[[str], str]) -> dict:
        """Spec §1. `page_url(sessionkey)` is the customer page's absolute URL (GatewayPageURL)."""
        problem = _init_problem(form)
        if problem:
            return {"status": "FAILED", "failedreason": problem}
        with self._lock:
            known_passwd = self._stores.setdefault(form["store_id"], form["store_passwd"])
            if known_passwd != form["store_passwd"]:
                return {"status": "FAILED", "failedreason": STORE_ERROR}
            session = SslcommerzSession(
                ref=new_id(length=32), store_id=form["store_id"], tran_id=form["tran_id"],
                amount=parse_money(form["total_amount"]), currency=form["currency"],
                init_fields={name: value for name, value in form.items() if name != "store_passwd"},
                behaviour=self._behaviour(), created_at=dhaka_now())
            self._sessions[session.ref] = session
            self._by_tran_id.setdefault((session.store_id, session.tran_id), []).append(session.ref)
            self._latest_by_tran_id[session.tran_id] = session.ref
        return {"status": "SUCCESS", "failedreason": "", "sessionkey": session.ref,
                "GatewayPageURL": page_url(session.ref)}

    def validate(self, args: Mapping[str, str]) -> dict:
        """Spec §4: VALID the first time a val_id is validated, VALIDATED after."""
        with self._lock:
            error = self._credentials_error(args)
            if error:
                return error
            session = self._sessions.get(self._by_val_id.get(args.get("val_id", ""), ""))
            if session is None or session.store_id != args["store_id"] or session.behaviour.validation != "VALID":
                return {"APIConnect": "DONE", "status": "INVALID_TRANSACTION", "val_id": args.get("val_id", "")}
            session.validations += 1
            return {"status": "VALID" if session.validations == 1 else "VALIDATED", **_payment_fields(session),
                    "APIConnect": "DONE", "validated_on": dhaka_now().strftime(TIME_FORMAT)}

    def merchant_trans_api(self, args: Mapping[str, str]) -> dict:
        """merchantTransIDvalidationAPI.php answers three questions, told apart by their fields (§5-7)."""
        with self._lock:
            error = self._credentials_error(args)
            if error:
                return error
            if args.get("refund_ref_id"):
                return self._refund_query(args)
            if args.get("bank_tran_id"):
                return self._refund(args)
            if args.get("tran_id"):
                return self._transaction_query(args)
        return {"APIConnect": "INVALID_REQUEST", "status": "FAILED", "errorReason": "tran_id, bank_tran_id or "
                "refund_ref_id is required"}

    # -- the customer's choice ------------------------------------------------------------------------------

    def choose(self, sessionkey: str, outcome: str) -> tuple[BrowserReturn, Notification | None, Behaviour]:
        """The customer pressed Pay / Fail / Cancel. A second press changes nothing and notifies no one:
        the browser is sent back with the first answer again. KeyError for an unknown session."""
        with self._lock:
            session = self._sessions[sessionkey]
            notification = None
            if not session.decided:
                self._decide(session, outcome)
                ipn_url = session.init_fields.get("ipn_url")
                if ipn_url:
                    notification = Notification("sslcommerz", session.ref, ipn_url, dict(session.callback_fields),
                                                as_json=False)
            browser_return = BrowserReturn("POST", session.return_url, dict(session.callback_fields))
            return browser_return, notification, session.behaviour

    def _decide(self, session: SslcommerzSession, outcome: str) -> None:
        behaviour = session.behaviour
        session.customer_choice, session.status = outcome, STATUS_OF_CHOICE[outcome]
        session.decided_at = dhaka_now()
        session.bank_tran_id = session.decided_at.strftime("%y%m%d%H%M%S") + new_id(length=6)
        self._by_bank_tran_id[session.bank_tran_id] = session.ref
        if outcome == "pay":
            session.val_id = session.decided_at.strftime("%y%m%d%H%M%S") + new_id(length=12)
            self._by_val_id[session.val_id] = session.ref
            session.paid_amount = behaviour.charged(session.amount)
        extras = {name: session.init_fields.get(name, "") for name in ("value_a", "value_b", "value_c", "value_d")}
        fields = _signed({"status": session.status, **_payment_fields(session), **extras},
                         self._stores[session.store_id])
        if behaviour.tamper_amount:  # after signing: verify_sign no longer matches
            fields["amount"] = money(Decimal(fields["amount"]) + 1)
        session.callback_fields = fields
        session.return_url = session.init_fields[RETURN_URL_OF_CHOICE[outcome]]

    # -- lookups --------------------------------------------------------------------------------------------

    def find(self, ref: str) -> SslcommerzSession | None:
        """A copy of the session with this sessionkey, val_id, bank_tran_id or (latest) tran_id."""
        with self._lock:
            key = ref if ref in self._sessions else (
                self._by_val_id.get(ref) or self._by_bank_tran_id.get(ref) or self._latest_by_tran_id.get(ref))
            return copy.deepcopy(self._sessions[key]) if key else None

    def sessions(self) -> list[SslcommerzSession]:
        with self._lock:
            return copy.deepcopy(list(self._sessions.values()))

    # -- merchantTransIDvalidationAPI.php -----------------------------------------------------------------------

    def _transaction_query(self, args: Mapping[str, str]) -> dict:
        keys = self._by_tran_id.get((args["store_id"], args["tran_id"]), [])
        elements = [_query_element(self._sessions[key]) for key in keys]
        return {"APIConnect": "DONE", "no_of_trans_found": len(elements), "element": elements}

    def _refund(self, args: Mapping[str, str]) -> dict:
        store_id, refe_id = args["store_id"], args.get("refe_id", "")
        amount = parse_money(args.get("refund_amount", ""))
        answer = {"APIConnect": "DONE", "bank_tran_id": args["bank_tran_id"], "trans_id": "", "refund_ref_id": "",
                  "status": "failed"}
        if not refe_id or amount is None:
            return {**answer, "APIConnect": "INVALID_REQUEST", "errorReason": "refund_amount and refe_id are required"}
        if (store_id, refe_id) in self._refunds_by_key:  # the same refund asked again: answered once
            return dict(self._refunds_by_key[store_id, refe_id].answer)
        session = self._sessions.get(self._by_bank_tran_id.get(args["bank_tran_id"], ""))
        if session is None or session.store_id != store_id or session.status != "VALID":
            return {**answer, "errorReason": "No paid transaction with this bank_tran_id"}
        answer["trans_id"] = session.tran_id
        if session.failed_refunds == 0 and (session.behaviour.refund_fail_once or self._behaviour().refund_fail_once):
            session.failed_refunds += 1
            return {**answer, "errorReason": "Refund failed (sandbox: refund_fail_once)"}
        refundable = session.paid_amount - sum(refund.amount for refund in session.refunds)
        if amount > refundable:
            return {**answer, "errorReason": f"Refund amount is more than the refundable {money(refundable)}"}
        refund_ref = new_id(length=12)
        refund = Refund(ref=refund_ref, key=refe_id, amount=amount, reason=args.get("refund_remarks", ""),
                        created_at=dhaka_now(),
                        answer={**answer, "refund_ref_id": refund_ref, "status": "success", "errorReason": ""})
        session.refunds.append(refund)
        self._refunds_by_key[store_id, refe_id] = refund
        self._refunds_by_ref[store_id, refund.ref] = (session.ref, refund)
        return dict(refund.answer)

    def _refund_query(self, args: Mapping[str, str]) -> dict:
        found = self._refunds_by_ref.get((args["store_id"], args["refund_ref_id"]))
        if found is None:
            return {"APIConnect": "INVALID_REQUEST", "refund_ref_id": args["refund_ref_id"], "status": "",
                    "errorReason": "No refund with this refund_ref_id"}
        sessionkey, refund = found
        session = self._sessions[sessionkey]
        when = refund.created_at.strftime(TIME_FORMAT)
        return {"APIConnect": "DONE", "bank_tran_id": session.bank_tran_id, "tran_id": session.tran_id,
                "refund_ref_id": refund.ref, "initiated_on": when, "refunded_on": when, "status": "refunded",
                "errorReason": ""}

    def _credentials_error(self, args: Mapping[str, str]) -> dict | None:
        store_id = args.get("store_id", "")
        if not store_id or self._stores.get(store_id) != args.get("store_passwd"):
            return {"APIConnect": "FAILED", "status": "FAILED", "errorReason": STORE_ERROR}
        return None


def _init_problem(form: Mapping[str, str]) -> str:
    missing = [name for name in INIT_REQUIRED if not form.get(name, "").strip()]
    if missing:
        return f"Missing required field(s): {', '.join(missing)}"
    if parse_money(form["total_amount"]) is None:
        return "Invalid total_amount"
    if not (len(form["currency"]) == 3 and form["currency"].isalpha() and form["currency"].isupper()):
        return "Invalid currency"
    for name in URL_FIELDS:
        if form.get(name) and urlsplit(form[name]).scheme not in ("http", "https"):
            return f"Invalid {name}"
    return ""


def _payment_fields(session: SslcommerzSession) -> dict[str, str]:
    """What the IPN, the return, the validation API and the transaction query all say of a payment."""
    amount = session.paid_amount or session.amount
    fields = {"tran_id": session.tran_id}
    if session.status == "VALID":
        fields["val_id"] = session.val_id
    risky = session.behaviour.risk_level == "1"
    fields.update({
        "amount": money(amount), "store_amount": money(amount - amount * FEE_RATE), "currency": session.currency,
        "bank_tran_id": session.bank_tran_id or "", **SIMULATED_CARD, "currency_type": session.currency,
        "currency_amount": money(amount), "currency_rate": "1.0000",
        "tran_date": (session.decided_at or session.created_at).strftime(TIME_FORMAT),
        "risk_level": session.behaviour.risk_level, "risk_title": "Risky" if risky else "Safe",
    })
    return fields


def _query_element(session: SslcommerzSession) -> dict:
    return {**_payment_fields(session), "val_id": session.val_id or "", "status": _query_status(session)}


def _query_status(session: SslcommerzSession) -> str:
    if session.status != "VALID":
        return session.status
    if session.behaviour.validation != "VALID":
        return "INVALID_TRANSACTION"
    return "VALIDATED" if session.validations else "VALID"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _signed(fields: dict[str, str], store_passwd: str) -> dict[str, str]:
    """The fields plus verify_key (their names) and verify_sign (spec §3): md5 of the sorted "k=v" pairs
    joined by "&", with store_passwd=md5(store_passwd) among them."""
    material = {**fields, "store_passwd": _md5(store_passwd)}
    text = "&".join(f"{key}={material[key]}" for key in sorted(material))
    return {**fields, "verify_key": ",".join(fields), "verify_sign": _md5(text)}
