"""The rail seat map through the test client: a coach drawn with each seat's state, tabs and fares;
holding (200, 409 naming the seat, 422, 403), the way through the login page and back, releasing one
seat or all, trips that are not on sale, bad input (4xx, never 5xx), and the partial block with its
ETag that the polling fallback asks for."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from models import db
from models.base import utcnow
from models.rail import Coach, Seat, SeatClaim, Trip, TripStop
from models.sales import Hold
from services import tenant_db
from services.inventory import Owner
from services.inventory import rail as inventory
from services.rail import search, trips
from tests.support import rail as make
from tests.support.people import login_customer, make_customer

DHAKA_CTG = [("DHK", None, "07:00", 0, 0), ("BHB", "08:30", "08:33", 0, 80), ("CML", "10:00", "10:03", 0, 190),
             ("CTG", "12:00", None, 0, 321)]
COACHES = (("S_CHAIR", "Chair 2+2, 15 rows"), ("S_CHAIR", "Chair 2+2, 15 rows"), ("AC_S", "Chair 2+2, 15 rows"))
PARTIAL = {"HX-Request": "true", "HX-Request-Type": "partial"}
SEAT = re.compile(r'<label class="seat seat-(\w+)[^"]*"[^>]*>\s*<input type="checkbox" name="seat" value="(\d+)"'
                  r'[^>]*?aria-label="([^"]+)"([^>]*)>', re.S)


@dataclass
class RailTrip:
    id: int
    train_id: int
    coaches: dict[str, int]  # code -> id
    seats: dict[str, int]  # "KA-12" -> seat id

    def url(self, board=0, alight=3, cls="S_CHAIR", **extra) -> str:
        query = "&".join(f"{k}={v}" for k, v in {"class": cls, "board": board, "alight": alight, **extra}.items())
        return f"/trips/{self.id}/seats?{query}"


@pytest.fixture
def rail(make_tenant):
    info = make_tenant("rail", kind="rail")
    yield info
    tenant_db.dispose_engine(info.slug)


def _trip_on(in_tenant, rail, day_offset: int = 1) -> RailTrip:
    with in_tenant(rail):
        day = trips.local_today() + timedelta(days=day_offset)  # tomorrow: today's 07:00 train may have left
        train = make.train(DHAKA_CTG, coaches=COACHES)
        make.generate([train.id], day)
        trip = make.trip_of(train.id, day)
        rows = db.session.execute(sa.select(Coach.code, Coach.id, Seat.label, Seat.id)
                                  .join(Seat, Seat.coach_id == Coach.id).where(Coach.train_id == train.id)).all()
        return RailTrip(trip.id, train.id, {code: cid for code, cid, _l, _s in rows},
                        {f"{code}-{label}": sid for code, _c, label, sid in rows})


@pytest.fixture
def trip(rail, in_tenant) -> RailTrip:
    return _trip_on(in_tenant, rail)


def _customer(client_for, in_tenant, rail, **kwargs):
    user_id, login = make_customer(in_tenant, rail, **kwargs)
    client = client_for(rail)
    assert login_customer(client, login).status_code in (302, 303)
    return client, user_id


def _seats(html: str) -> dict[int, tuple[str, str, bool, bool]]:
    """{seat id: (state class, aria-label, disabled, checked)} as the page draws them."""
    return {int(sid): (state, label, " disabled" in rest, " checked" in rest)
            for state, sid, label, rest in SEAT.findall(html)}


def _hold_for(in_tenant, rail, trip, user_id, labels, board=0, alight=3):
    with in_tenant(rail):
        return inventory.hold_seats(trip.id, [trip.seats[x] for x in labels], board_seq=board, alight_seq=alight,
                                    owner=Owner(customer_id=user_id)).token


def _post_hold(client, trip, labels, board=0, alight=3, headers=PARTIAL, **extra):
    data = {"seat": [str(trip.seats[x]) for x in labels], "board": board, "alight": alight, "class": "S_CHAIR",
            "coach": trip.coaches["KA"], **extra}
    return client.post(f"/trips/{trip.id}/hold", data=data, headers=headers)


def _claims(in_tenant, rail, trip) -> list[tuple[int, str]]:
    with in_tenant(rail):
        return sorted(db.session.execute(sa.select(SeatClaim.seat_id, SeatClaim.status)
                                         .where(SeatClaim.trip_id == trip.id)).all())


def test_the_map_draws_the_coach_with_each_seat_state_in_words_the_coach_tabs_and_the_fare(
        rail, trip, in_tenant, client_for):
    other_client, other = _customer(client_for, in_tenant, rail)
    client, me = _customer(client_for, in_tenant, rail)
    with in_tenant(rail):
        make.claim(trip.id, trip.seats["KA-1"], 0, 3)  # sold all the way
        make.claim(trip.id, trip.seats["KA-3"], 1, 2, status="blocked")
        make.claim(trip.id, trip.seats["KA-4"], 0, 1)  # sold Dhaka → Bhairab only: free from Bhairab on
        make.claim(trip.id, trip.seats["KA-5"], 0, 3, status="held", expires_in=-5)  # expired: free again
    _hold_for(in_tenant, rail, trip, other, ["KA-2"])
    _hold_for(in_tenant, rail, trip, me, ["KA-6"], board=1, alight=3)

    response = client.get(trip.url(board=1, alight=3))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    seats = _seats(html)
    assert len(seats) == 60  # 15 rows of 2 + 2, nothing of the other coaches
    s = trip.seats
    assert seats[s["KA-1"]] == ("sold", "Seat 1, window, sold", True, False)
    assert seats[s["KA-2"]] == ("held", "Seat 2, aisle, held by someone else", True, False)
    assert seats[s["KA-3"]] == ("blocked", "Seat 3, aisle, not for sale", True, False)
    assert seats[s["KA-4"]] == ("free", "Seat 4, window, free", False, False)
    assert seats[s["KA-5"]][0] == "free" and seats[s["KA-6"]] == ("mine", "Seat 6, aisle, held by you", True, False)
    assert seats[s["KA-12"]] == ("free", "Seat 12, window, free", False, False)
    # Tabs: the two chair coaches, not the AC one; switching one swaps only the block and updates the URL.
    tabs = re.findall(r'<a href="([^"]+)" hx-get="\1" hx-target="#booking" hx-swap="outerHTML" hx-push-url="true"'
                      r'( aria-current="page")?>\s*<strong>(\w+)</strong>', html)
    assert [(code, bool(current)) for _u, current, code in tabs] == [("KA", True), ("KHA", False)]
    assert f"coach={trip.coaches['KHA']}" in tabs[1][0]
    # The stretch and the fare, as the search results price it: 241 km × ৳1.08.
    with in_tenant(rail):
        [row] = search.search("BHB", "CTG", trips.local_today() + timedelta(days=1)).results
    fare = next(c["fare"] for c in row["classes"] if c["code"] == "S_CHAIR")
    assert fare == "260.00" and "৳260.00 per seat" in html
    assert "<strong>Bhairab Bazar</strong> → <strong>Chattogram</strong>" in html
    # Mine, with its countdown, fare and total; the live attributes the scripts need.
    assert re.search(r'<li><span class="held-label">KA-6</span> <span class="held-fare">৳260.00</span>', html)
    assert "Total for 1 seat:" in html and re.search(r'data-expires-at="[0-9T:.+-]+"', html)
    assert f'data-live-url="/live/trips/{trip.id}"' in html and 'data-board="1" data-alight="3"' in html
    with in_tenant(rail):
        tag = db.session.scalar(sa.select(Hold.tag).where(Hold.customer_id == me))
    assert f'data-hold-tag="{tag}"' in html and 'data-limit="3"' in html
    assert re.search(r'data-live-version="\d+"', html)
    # Another customer sees my seat as held by someone else; a visitor sees the map too.
    assert _seats(other_client.get(trip.url(board=1, alight=3)).get_data(as_text=True))[s["KA-6"]][0] == "held"
    anonymous = client_for(rail).get(trip.url(board=1, alight=3)).get_data(as_text=True)
    assert _seats(anonymous)[s["KA-6"]][0] == "held" and "Hold seats" in anonymous


def test_holding_answers_with_the_hold_panel_and_the_seats_now_mine_out_of_band(rail, trip, in_tenant, client_for):
    client, me = _customer(client_for, in_tenant, rail)
    response = _post_hold(client, trip, ["KA-12", "KA-13"])
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # Only what changed, swapped out of band (the rest of the map follows live): cheap at 8 a.m.
    assert "<html" not in html and 'id="booking"' not in html
    assert '<div id="hold-panel"' in html and html.count('hx-swap-oob="true"') == 4  # message, panel, 2 seats
    seats = _seats(html)
    assert seats[trip.seats["KA-12"]][0] == seats[trip.seats["KA-13"]][0] == "mine"
    assert "KA-12" in html and "KA-13" in html and "Total for 2 seats:" in html and "৳694.00" in html  # 2 × 347
    assert _claims(in_tenant, rail, trip) == sorted([(trip.seats["KA-12"], "held"), (trip.seats["KA-13"], "held")])
    # Without htmx the same post ends on the map again.
    plain = _post_hold(client, trip, ["KA-14"], headers={})
    assert plain.status_code == 303 and plain.headers["Location"].startswith(f"/trips/{trip.id}/seats?")


def test_a_seat_just_taken_is_named_with_409_and_none_of_the_chosen_seats_is_held(rail, trip, in_tenant, client_for):
    _a, a = _customer(client_for, in_tenant, rail)
    b_client, _b = _customer(client_for, in_tenant, rail)
    _hold_for(in_tenant, rail, trip, a, ["KA-12"])
    response = _post_hold(b_client, trip, ["KA-11", "KA-12"])
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Seat KA-12 was just taken by someone else." in html and 'role="alert"' in html
    seats = _seats(html)
    assert seats[trip.seats["KA-12"]][0] == "held"
    assert trip.seats["KA-11"] not in seats  # untouched: it stays ticked on the page
    assert 'id="booking-message" hx-swap-oob="true"' in html
    assert re.search(r'class="seat seat-held[^"]*just-taken', html)
    assert _claims(in_tenant, rail, trip) == [(trip.seats["KA-12"], "held")]  # all or none


def test_choosing_nothing_too_many_or_seats_of_another_train_is_422(rail, trip, in_tenant, client_for):
    client, _me = _customer(client_for, in_tenant, rail)
    too_many = _post_hold(client, trip, ["KA-1", "KA-2", "KA-3", "KA-4", "KA-5"])
    assert too_many.status_code == 422 and "You can hold at most 4 seats at a time." in too_many.get_data(as_text=True)
    nothing = client.post(f"/trips/{trip.id}/hold", data={"board": 0, "alight": 3}, headers=PARTIAL)
    assert nothing.status_code == 422 and "Choose at least one seat." in nothing.get_data(as_text=True)
    other = _trip_on(in_tenant, rail)
    foreign = client.post(f"/trips/{trip.id}/hold", data={"seat": other.seats["KA-1"], "board": 0, "alight": 3},
                          headers=PARTIAL)
    assert foreign.status_code == 422 and "not on this train" in foreign.get_data(as_text=True)
    assert _claims(in_tenant, rail, trip) == []


def test_one_customer_cannot_hold_more_than_the_limit_across_holds(rail, trip, in_tenant, client_for):
    client, _me = _customer(client_for, in_tenant, rail)
    assert _post_hold(client, trip, ["KA-1", "KA-2", "KA-3"]).status_code == 200
    html = _post_hold(client, trip, ["KA-4", "KA-5"]).get_data(as_text=True)
    assert "You can hold at most 4 seats on this train; you already hold 3." in html
    assert 'data-limit="1"' in html


def test_an_unverified_phone_gets_403_with_a_link_to_the_profile(rail, trip, in_tenant, client_for):
    client, _me = _customer(client_for, in_tenant, rail, verified=False)
    page = client.get(trip.url()).get_data(as_text=True)
    assert "Train seats need a verified mobile number." in page and 'href="/account/profile"' in page
    response = _post_hold(client, trip, ["KA-12"])
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "Verify your mobile number in your profile before holding train seats." in html
    assert re.search(r'<a href="/account/profile">Verify your number in your profile</a>', html)
    assert _seats(html)[trip.seats["KA-12"]][3]  # the seat stays ticked for after verifying
    assert _claims(in_tenant, rail, trip) == []


def test_a_visitor_sees_the_map_and_hold_goes_to_the_login_page_and_back_with_the_seats_ticked(
        rail, trip, in_tenant, client_for):
    visitor = client_for(rail)
    page = visitor.get(trip.url()).get_data(as_text=True)
    assert "You will be asked to log in first" in page and "/account/login?next=" in page
    response = _post_hold(visitor, trip, ["KA-12"], headers={})
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == "/account/login"
    back = parse_qs(location.query)["next"][0]
    assert back.startswith(f"/trips/{trip.id}/seats?") and f"seat={trip.seats['KA-12']}" in back
    htmx = _post_hold(visitor, trip, ["KA-12"])  # htmx follows HX-Location to the same login page
    assert htmx.status_code == 200 and htmx.headers["HX-Location"] == response.headers["Location"]
    _user, login = make_customer(in_tenant, rail)
    after_login = visitor.post(f"/account/login?next={back.replace('&', '%26')}",
                               data={"identifier": login, "password": "mango-tree-42"})
    assert after_login.status_code == 303 and after_login.headers["Location"] == back
    assert _seats(visitor.get(back).get_data(as_text=True))[trip.seats["KA-12"]] == (
        "free", "Seat 12, window, free", False, True)
    assert _claims(in_tenant, rail, trip) == []


def test_releasing_one_seat_then_the_whole_hold_swaps_the_block(rail, trip, in_tenant, client_for):
    client, me = _customer(client_for, in_tenant, rail)
    token = _hold_for(in_tenant, rail, trip, me, ["KA-12", "KA-13"])
    form = {"class": "S_CHAIR", "coach": trip.coaches["KA"]}
    one = client.post(f"/holds/{token}/release-seat", data={**form, "seat": trip.seats["KA-12"]}, headers=PARTIAL)
    assert one.status_code == 200
    html = one.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="booking"') and "The seat is released." in html
    seats = _seats(html)
    assert seats[trip.seats["KA-12"]][0] == "free" and seats[trip.seats["KA-13"]][0] == "mine"
    assert _claims(in_tenant, rail, trip) == [(trip.seats["KA-13"], "held")]
    # The release forms are htmx forms that swap the block.
    assert f'hx-post="/holds/{token}/release" hx-target="#booking" hx-swap="outerHTML"' in html
    everything = client.post(f"/holds/{token}/release", data=form, headers=PARTIAL)
    html = everything.get_data(as_text=True)
    assert everything.status_code == 200 and "Your hold is released" in html and 'class="hold-panel"' not in html
    assert _seats(html)[trip.seats["KA-13"]][0] == "free" and _claims(in_tenant, rail, trip) == []
    # A hold that has ended cannot be released again; someone else's token is not found.
    again = client.post(f"/holds/{token}/release", data=form, headers=PARTIAL)
    assert again.status_code == 409 and "This hold has ended" in again.get_data(as_text=True)
    stranger, _s = _customer(client_for, in_tenant, rail)
    assert stranger.post(f"/holds/{token}/release", data=form, headers=PARTIAL).status_code == 404


def test_a_cancelled_departed_or_not_yet_on_sale_trip_says_so_and_offers_no_hold(rail, trip, in_tenant, client_for):
    client, _me = _customer(client_for, in_tenant, rail)
    later = _trip_on(in_tenant, rail, day_offset=12)  # sales open 10 days ahead
    left = _trip_on(in_tenant, rail)
    with in_tenant(rail):
        db.session.execute(sa.update(Trip).where(Trip.id == trip.id).values(status="cancelled"))
        db.session.execute(sa.update(TripStop).where(TripStop.trip_id == left.id, TripStop.seq == 0)
                           .values(departs_at=utcnow() - timedelta(minutes=5)))
        db.session.commit()
    for which, says in ((trip, "This train is cancelled."), (left, "This train has already left Dhaka."),
                        (later, "Tickets for this day are not on sale")):
        response = client.get(which.url())
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and says in html, which
        assert "No seats can be held on this train." in html and "Hold seats" not in html
        assert 'name="seat"' not in html and "data-live-url" not in html
        refused = _post_hold(client, which, ["KA-12"])
        assert refused.status_code == 409 and says in refused.get_data(as_text=True)
    assert _claims(in_tenant, rail, trip) == _claims(in_tenant, rail, left) == _claims(in_tenant, rail, later) == []


def test_bad_ids_and_bad_input_give_4xx_never_5xx(rail, trip, in_tenant, client_for, make_tenant):
    client, me = _customer(client_for, in_tenant, rail)
    token = _hold_for(in_tenant, rail, trip, me, ["KA-12"])
    for url in (f"/trips/{trip.id + 1000}/seats", "/trips/99999999999/seats",
                f"/trips/{trip.id}/seats?board=2&alight=1", f"/trips/{trip.id}/seats?board=0&alight=9"):
        assert client.get(url).status_code == 404, url
    for url in (f"/trips/{trip.id}/seats?coach=99999999999&board=x", trip.url(coach=trip.coaches["GA"]),
                trip.url(cls="NOPE" * 20), f"/trips/{trip.id}/seats?seat=abc&seat=-3",
                f"/trips/{trip.id}/seats?board=-1&alight=99999999999999"):  # out of range: the first stretch
        assert client.get(url).status_code == 200, url
    assert client.get(trip.url(cls="%00")).status_code == 400  # refused before it reaches the map
    assert "This train has no coaches of this class." in client.get(trip.url(cls="NOPE")).get_data(as_text=True)
    for data in ({"seat": "abc", "board": 0, "alight": 3}, {"seat": "99999999999", "board": 0, "alight": 3},
                 {"seat": "-1", "board": 0, "alight": 3}, {"seat": trip.seats["KA-1"], "board": "x", "alight": 3},
                 {"seat": trip.seats["KA-1"], "board": 3, "alight": 1}):
        response = client.post(f"/trips/{trip.id}/hold", data=data, headers=PARTIAL)
        assert 400 <= response.status_code < 500, data
    assert client.post("/trips/99999999/hold", data={"seat": 1, "board": 0, "alight": 3},
                       headers=PARTIAL).status_code == 404
    for seat in ("abc", "0", "99999999999"):
        response = client.post(f"/holds/{token}/release-seat", data={"seat": seat}, headers=PARTIAL)
        assert response.status_code == 422, seat
    assert client.post(f"/holds/{token}/release-seat", data={"seat": trip.seats["KA-13"]},
                       headers=PARTIAL).status_code == 409  # not in the hold
    assert client.post("/holds/no-such-token/release", headers=PARTIAL).status_code == 404
    assert client.post("/holds/" + "x" * 500 + "/release", headers=PARTIAL).status_code == 404
    assert _claims(in_tenant, rail, trip) == [(trip.seats["KA-12"], "held")]
    zoo = make_tenant("zoo", kind="events")
    assert client_for(zoo).get(f"/trips/{trip.id}/seats").status_code == 404


def test_a_partial_request_gives_only_the_block_and_304_while_nothing_changed(rail, trip, in_tenant, client_for):
    client, _me = _customer(client_for, in_tenant, rail)
    _other_client, other = _customer(client_for, in_tenant, rail)
    url = trip.url(coach=trip.coaches["KHA"])
    response = client.get(url, headers=PARTIAL)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<section id="booking"')
    assert "<html" not in html and "<h1>" not in html and "HX-Request" in response.headers["Vary"]
    assert re.search(r'<a href="[^"]+" [^>]*aria-current="page">\s*<strong>KHA</strong>', html)
    assert f'data-live-poll="{url.replace("&", "&amp;")}"' in html
    etag = response.headers["ETag"]
    unchanged = client.get(url, headers={**PARTIAL, "If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    _hold_for(in_tenant, rail, trip, other, ["KHA-7"])
    changed = client.get(url, headers={**PARTIAL, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert _seats(changed.get_data(as_text=True))[trip.seats["KHA-7"]][0] == "held"
    # The whole page for a plain request.
    page = client.get(url).get_data(as_text=True)
    assert "<html" in page and "js/seatmap.js" in page and "js/live.js" in page
