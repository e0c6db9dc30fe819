"""The development outbox holds one-time codes and reset links: it shows only this site's messages,
only to this machine, and does not exist in production."""
import pytest

from services import notifications
from tests.support.people import next_phone
from tests.support.people import remove_test_tenants  # noqa: F401  (autouse)


@pytest.fixture
def messages(app, make_tenant, in_tenant):
    """A reset code sent by zoo, one by fort, and a platform admin's reset link."""
    zoo, fort = make_tenant("zoo"), make_tenant("fort")
    sent = {"zoo": "+880" + next_phone()[1:], "fort": "+880" + next_phone()[1:], "platform": "root@jatra.example"}
    with in_tenant(zoo):
        notifications.send_sms(sent["zoo"], "Your zoo code is 314159")
    with in_tenant(fort):
        notifications.send_sms(sent["fort"], "Your fort code is 271828")
    with app.app_context():
        notifications.send_email(sent["platform"], "Reset", "http://localhost/admin/reset?token=abc")
    return zoo, fort, sent


def test_a_tenants_outbox_shows_only_that_tenants_messages(messages, client_for):
    zoo, fort, sent = messages
    page = client_for(zoo).get("/dev/outbox").get_data(as_text=True)
    assert sent["zoo"] in page and "314159" in page
    assert sent["fort"] not in page and sent["platform"] not in page


def test_the_platform_hosts_outbox_shows_no_tenants_messages(messages, client_for):
    _zoo, _fort, sent = messages
    answer = client_for("localhost").get("/dev/outbox")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and sent["platform"] in page
    assert sent["zoo"] not in page and "314159" not in page and sent["fort"] not in page


@pytest.mark.parametrize("address", ["203.0.113.7", "10.0.0.2", "192.168.1.20", "2001:db8::1"])
def test_the_outbox_is_not_served_to_another_machine(messages, client_for, address):
    zoo, _fort, _sent = messages
    for client in (client_for(zoo), client_for("localhost")):
        answer = client.get("/dev/outbox", environ_base={"REMOTE_ADDR": address})
        assert answer.status_code == 404 and b"314159" not in answer.data


@pytest.mark.parametrize("header", [{"X-Forwarded-For": "127.0.0.1"}, {"X-Forwarded-For": "203.0.113.7"},
                                    {"X-Real-IP": "127.0.0.1"}, {"Forwarded": "for=127.0.0.1"}])
def test_a_request_through_a_proxy_on_this_machine_is_not_local(messages, client_for, header):
    """Behind a proxy on the same machine every visitor arrives from loopback: forwarding headers
    (whatever address they claim) mean the request came from elsewhere."""
    zoo, _fort, _sent = messages
    answer = client_for(zoo).get("/dev/outbox", headers=header, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert answer.status_code == 404 and b"314159" not in answer.data


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_this_machine_reads_its_outbox(messages, client_for, address):
    zoo, _fort, sent = messages
    answer = client_for(zoo).get("/dev/outbox", environ_base={"REMOTE_ADDR": address})
    assert answer.status_code == 200 and sent["zoo"] in answer.get_data(as_text=True)


def test_production_has_no_outbox(production_app, messages):
    zoo, _fort, _sent = messages
    client = production_app.test_client()
    for host in (f"{zoo.slug}.localhost", "localhost"):
        assert client.get(f"http://{host}/dev/outbox").status_code == 404
