"""Signed tickets on real PostgreSQL: a confirmed booking's tickets carry payloads that verify;
rotation keeps old tickets valid until their key is retired; the JWK set gates fetch holds the
public keys that admit and no private part; `flask keys` rotates, lists and retires."""
from __future__ import annotations

import sqlalchemy as sa

from models import db
from models.bookings import Ticket
from models.messaging import TicketKey
from services import crypto
from services.tickets import issue, keys, payload
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)


def _tickets(shop, tenant, booking_id):
    with shop.in_tenant(tenant):
        issue.complete(booking_id)
        return [(t.number, t.qr_payload, t.qr_svg, t.key_id) for t in db.session.scalars(
            sa.select(Ticket).where(Ticket.booking_id == booking_id).order_by(Ticket.id))]


def test_a_confirmed_booking_has_signed_tickets_drawn_once(shop):
    zoo = shop.zoo()
    bought = shop.buy_tickets(zoo, quantity=3)
    shop.come_back(bought, shop.pay(bought))
    tickets = _tickets(shop, zoo, bought.booking_id)
    assert len(tickets) == 3
    with shop.in_tenant(zoo):
        for number, text, svg, key_id in tickets:
            claims = issue.verify(text)
            assert (claims.kind, claims.key_id, key_id) == ("admission", 1, 1)
            assert svg.startswith("<svg") and f"<title>{number}</title>" in svg
        ids = {issue.verify(text).ticket_id for _, text, _, _ in tickets}
        assert ids == set(db.session.scalars(sa.select(Ticket.id).where(Ticket.booking_id == bought.booking_id)))
        drawn = db.session.scalar(sa.select(Ticket.qr_svg).where(Ticket.booking_id == bought.booking_id).limit(1))
    assert _tickets(shop, zoo, bought.booking_id)[0][2] == drawn  # stored once, not drawn again


def test_rotation_keeps_old_tickets_valid_until_their_key_is_retired(shop):
    zoo = shop.zoo()
    first = shop.buy_tickets(zoo, quantity=1)
    shop.come_back(first, shop.pay(first))
    [(_, old, _, _)] = _tickets(shop, zoo, first.booking_id)
    with shop.in_tenant(zoo):
        assert keys.rotate().id == 2
    second = shop.buy_tickets(zoo, quantity=1)
    shop.come_back(second, shop.pay(second))
    [(_, new, _, new_key)] = _tickets(shop, zoo, second.booking_id)
    with shop.in_tenant(zoo):
        assert new_key == 2 and issue.verify(new).key_id == 2
        assert issue.verify(old).key_id == 1  # still admits
        keys.retire(1)
        try:
            issue.verify(old)
        except payload.InvalidTicket as exc:
            assert "retired" in str(exc)
        else:
            raise AssertionError("a ticket signed by a retired key admitted someone")
        assert issue.verify(new).key_id == 2


def test_the_private_key_is_sealed_and_bound_to_its_tenant(app, make_tenant, in_tenant):
    zoo = make_tenant("zoo", "events")
    with in_tenant(zoo):
        key = keys.signing_key()
        db.session.commit()
        stored = db.session.get(TicketKey, key.id).private_key
        assert key.public_key not in stored
        raw = crypto.open_sealed(stored, context=f"ticket-key:{zoo.slug}:{key.id}")
        assert len(raw) == 43  # 32 bytes, base64url
        try:
            crypto.open_sealed(stored, context=f"ticket-key:other:{key.id}")
        except crypto.DecryptionError:
            pass
        else:
            raise AssertionError("a sealed key opened for another tenant")


def test_the_jwk_set_holds_the_public_keys_that_admit_and_nothing_private(app, make_tenant, in_tenant, client_for):
    fort = make_tenant("fort", "events")
    with in_tenant(fort):
        keys.signing_key()
        db.session.commit()
        keys.rotate()
        keys.retire(1)
        public = db.session.get(TicketKey, 2).public_key
    response = client_for(fort).get("/.well-known/jatra-keys.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "max-age" in response.headers["Cache-Control"]
    assert response.get_json() == {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "2", "x": public,
                                             "use": "sig", "alg": "EdDSA"}]}
    assert '"d"' not in response.get_data(as_text=True)


def test_flask_keys_rotates_lists_and_retires(app, make_tenant, in_tenant):
    rail = make_tenant("rail", "rail")
    runner = app.test_cli_runner()
    empty = runner.invoke(args=["keys", "list", "--tenant", rail.slug])
    assert empty.exit_code == 0 and "no key yet" in empty.output
    assert "signing with key 1" in runner.invoke(args=["keys", "rotate", "--tenant", rail.slug]).output
    assert "signing with key 2" in runner.invoke(args=["keys", "rotate", "--tenant", rail.slug]).output
    assert "retired key 1" in runner.invoke(args=["keys", "retire", "--tenant", rail.slug, "1"]).output
    listed = runner.invoke(args=["keys", "list", "--tenant", rail.slug]).output.splitlines()
    assert [line.split()[:3] for line in listed] == [["key", "1", "retired"], ["key", "2", "active"]]
    unknown = runner.invoke(args=["keys", "retire", "--tenant", rail.slug, "9"])
    assert unknown.exit_code != 0 and "no ticket key 9" in unknown.output
    with in_tenant(rail):
        assert keys.signing_key().id == 2
