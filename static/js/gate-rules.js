/* The rules the gate console (static/js/gate.js) judges a ticket by when the network is gone: reading the
 * signed "JT:" payload (services/tickets/payload.py), its Ed25519 check with WebCrypto, the gate's scope
 * (services/gate/scope.py) and the words a refusal needs. Pure: no DOM, storage or network, so that
 * Node runs the same file against the Python code (tests/unit/test_gate_rules_js.py).
 *
 * Defines globalThis.JatraGateRules (window.JatraGateRules in the browser).
 */
(() => {
  "use strict";
  const PREFIX = "JT:", PAYLOAD_VERSION = 1, SIGNATURE_BYTES = 64, HEAD_BYTES = 24;
  const KINDS = { 1: "seat", 2: "plan_seat", 3: "admission" };
  const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  const DAY_MS = 86400000, EPOCH_2000 = Date.UTC(2000, 0, 1);

  // RFC 9285 base45: three characters make two bytes, a last pair makes one. Null if not base45.
  function base45(text) {
    if (text.length % 3 === 1) return null;
    const out = [];
    for (let i = 0; i < text.length; i += 3) {
      const digits = [...text.slice(i, i + 3)].map((c) => B45.indexOf(c));
      if (digits.includes(-1)) return null;
      const n = digits[0] + digits[1] * 45 + (digits.length === 3 ? digits[2] * 2025 : 0);
      if (digits.length === 3) {
        if (n > 0xffff) return null;
        out.push(n >> 8, n & 0xff);
      } else {
        if (n > 0xff) return null;
        out.push(n);
      }
    }
    return Uint8Array.from(out);
  }

  function base64url(text) {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  }

  // The offline data's keys ([{kid, x}], x the raw public key in base64url) -> Map of key id -> CryptoKey.
  async function importKeys(keys) {
    const imported = new Map();
    for (const { kid, x } of keys || []) {
      try {
        const key = await crypto.subtle.importKey("raw", base64url(x), { name: "Ed25519" }, false, ["verify"]);
        imported.set(Number(kid), key);
      } catch (err) {
        // no Ed25519 in this browser (or no secure context): tickets signed with it read as unknown_key
      }
    }
    return imported;
  }

  // The claims, signed bytes and signature of a "JT:" payload (payload.read()), or null.
  function readPayload(text) {
    if (!String(text).startsWith(PREFIX)) return null;
    const raw = base45(text.slice(PREFIX.length));
    if (!raw || raw.length <= HEAD_BYTES + SIGNATURE_BYTES) return null;
    const body = raw.subarray(0, raw.length - SIGNATURE_BYTES);
    const signature = raw.subarray(raw.length - SIGNATURE_BYTES);
    const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const utf8 = new TextDecoder("utf-8", { fatal: true });
    try {
      let pos = HEAD_BYTES;
      const labelLength = body[pos];
      if (labelLength === undefined || pos + 1 + labelLength > body.length) return null;
      const label = utf8.decode(body.subarray(pos + 1, pos + 1 + labelLength));
      pos += 1 + labelLength;
      const tagLength = body[pos];
      if (tagLength === undefined || pos + 1 + tagLength > body.length) return null;
      const tag = utf8.decode(body.subarray(pos + 1, pos + 1 + tagLength));
      pos += 1 + tagLength;
      const kind = KINDS[view.getUint8(11)];
      if (view.getUint8(0) !== PAYLOAD_VERSION || !kind || pos !== body.length) return null;
      const rail = kind === "seat"; // a seat's stops are sequence numbers, 0 the origin; none on other tickets
      const claims = {
        kid: view.getUint16(1), tenant: view.getUint32(3), ticket: view.getUint32(7), kind,
        subject: view.getUint32(12), day: view.getUint16(16), slot: view.getUint32(18) || null,
        board: rail ? view.getUint8(22) : null, alight: rail ? view.getUint8(23) : null, label, tag,
      };
      return { claims, body, signature };
    } catch (err) {
      return null; // a label or tag that is not UTF-8
    }
  }

  async function verifySignature(key, signature, body) {
    try {
      return await crypto.subtle.verify({ name: "Ed25519" }, key, signature, body);
    } catch (err) {
      return false;
    }
  }

  // payload.verify(): {claims} of a payload signed by one of `keys` (Map kid -> CryptoKey) for `tenant`,
  // or {reason} with the gate's reason for refusing it.
  async function verifyPayload(text, tenant, keys) {
    const payload = readPayload(text);
    if (!payload) return { reason: "unreadable" };
    const { claims, body, signature } = payload;
    if (claims.tenant !== Number(tenant)) return { reason: "other_operator" };
    const key = keys?.get(claims.kid);
    if (!key) return { reason: "unknown_key" };
    if (!(await verifySignature(key, signature, body))) return { reason: "bad_signature" };
    return { claims };
  }

  // "2026-12-06" -> days since 2000-01-01, as the payload counts them
  const dayNumber = (iso) => (iso ? (Date.parse(iso + "T00:00:00Z") - EPOCH_2000) / DAY_MS : null);

  // scope.check(): the reason the gate (offline data's "gate") refuses these claims at `now` (ms), or null.
  function scopeReason(claims, gate, now) {
    if (gate.kind === "trip") {
      if (claims.kind !== "seat" || claims.subject !== gate.subject_id) {
        return claims.kind === "seat" && claims.day !== dayNumber(gate.day) ? "wrong_date" : "wrong_trip";
      }
      if (claims.board !== (gate.board_seq ?? null)) return "wrong_station";
      return null;
    }
    if (claims.kind === "seat" || claims.subject !== gate.subject_id) return "wrong_event";
    if (gate.kind === "timed" && claims.slot !== null) {
      if (claims.day !== dayNumber(gate.day)) return "wrong_date";
      const window = gate.slots?.[claims.slot], grace = gate.grace_ms || 0;
      if (gate.current_slot_only && window) {
        if (now < window[0] - grace) return "not_yet_open";
        if (now > window[1] + grace) return "wrong_slot";
      }
    }
    if (gate.opens_at != null && now < gate.opens_at) return "not_yet_open";
    return null;
  }

  // "07:02" in the tenant's time zone when known (else the device's, which at a gate is the same place),
  // as the server writes the times in its lists.
  function hhmm(ms, zone) {
    try {
      const format = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone || undefined };
      return new Intl.DateTimeFormat("en-GB", format).format(ms);
    } catch (err) {
      return new Date(ms).toTimeString().slice(0, 5); // an unknown zone name
    }
  }

  // checkin._facts(): the words a reason's sentence needs. `lang` formats the date, `zone` the times.
  function facts(reason, claims, gate, { lang, zone } = {}) {
    if (reason === "wrong_station") return { station: gate.stations?.[claims?.board ?? -1] || "" };
    if (reason === "wrong_date" && claims) {
      const format = new Intl.DateTimeFormat(lang || undefined, { dateStyle: "medium", timeZone: "UTC" });
      return { day: format.format(EPOCH_2000 + claims.day * DAY_MS) };
    }
    if (reason === "wrong_slot" || reason === "not_yet_open") {
      const window = claims?.slot ? gate.slots?.[claims.slot] : null;
      if (window) return { starts: hhmm(window[0], zone), ends: hhmm(window[1], zone) };
      if (gate.opens_at != null) return { starts: hhmm(gate.opens_at, zone) };
    }
    return {};
  }

  globalThis.JatraGateRules = Object.freeze({
    PREFIX, base45, base64url, importKeys, readPayload, verifySignature, verifyPayload, dayNumber,
    scopeReason, hhmm, facts,
  });
})();
