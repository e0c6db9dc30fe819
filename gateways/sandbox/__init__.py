"""A local simulator of the SSLCommerz and bKash payment gateways: the endpoints and fields of their
published protocols as the adapters speak them, on 127.0.0.1, so a whole purchase runs with no internet
(`make run`, the browser tests, the benchmarks). Customer pages are /sslcommerz/pay/<sessionkey> and
/bkash/pay/<paymentID>; `Sandbox.behave(...)` (or POST /_sandbox/behave) makes it misbehave the ways
real gateways do."""
from gateways.sandbox.app import create_sandbox_app
from gateways.sandbox.behaviour import Behaviour
from gateways.sandbox.records import BrowserReturn
from gateways.sandbox.server import mount, serve_in_thread
from gateways.sandbox.state import Sandbox

__all__ = ["Behaviour", "BrowserReturn", "Sandbox", "create_sandbox_app", "mount", "serve_in_thread"]
