// Runs static/js/gate-rules.js under Node for tests/unit/test_gate_rules_js.py.
// Usage: node gate_rules_driver.mjs path/to/gate-rules.js < {keys, gates, cases}
// Prints {keys: how many imported, results}: for each case {text, tenant, gate, now}, {reason, claims}, the
// verdict the console would give (the payload's reason, else the scope's, else null) and the claims read
// from the text, signed or not.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { webcrypto } from "node:crypto";

globalThis.crypto ??= webcrypto; // a global only from Node 19 on (Debian 12 ships Node 18)
createRequire(import.meta.url)(resolve(process.argv[2]));
const rules = globalThis.JatraGateRules;

const input = JSON.parse(readFileSync(0, "utf-8"));
const keys = await rules.importKeys(input.keys);
const results = [];
for (const { text, tenant, gate, now } of input.cases) {
  const claims = rules.readPayload(text)?.claims ?? null;
  const checked = await rules.verifyPayload(text, tenant, keys);
  const reason = checked.reason ?? rules.scopeReason(checked.claims, input.gates[gate], now);
  results.push({ reason, claims });
}
process.stdout.write(JSON.stringify({ keys: keys.size, results }));
