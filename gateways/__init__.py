"""Payment gateway adapters: one per gateway Jatra takes money through, each speaking the Gateway interface of
gateways.base."""
from gateways.base import Gateway, GatewayConfig
from gateways.bkash import Bkash
from gateways.sslcommerz import SSLCommerz

ADAPTERS = {"sslcommerz": SSLCommerz, "bkash": Bkash}
LIVE_URLS = {"sslcommerz": "https://securepay.sslcommerz.com", "bkash": "https://tokenized.pay.bka.sh/v1.2.0-beta"}
SANDBOX_URLS = {"sslcommerz": "https://sandbox.sslcommerz.com",
                "bkash": "https://tokenized.sandbox.bka.sh/v1.2.0-beta"}


def adapter(config: GatewayConfig) -> Gateway:
    """The adapter for `config.name` (KeyError for a gateway Jatra does not speak)."""
    return ADAPTERS[config.name](config)
