/* The gate console (templates/gate/console.html): checks tickets at a gate through the server, and
 * on its own when the network is gone, then hands the scans it judged alone to the server later.
 *
 * Markup (see /staff/gate/<id>): #gate-console with data-gate, data-token, data-scan-url, data-sync-url,
 * data-offline-url and data-tenant; inside it #gate-messages (JSON texts, %(name)s placeholders),
 * #scan-form / #scan-input, #direction (only when the gate lets people out), #camera-toggle, #camera,
 * #camera-frame, #verdict and #network-state. The verdict gets data-result, data-reason, data-ms (time
 * taken) and data-mode (online | offline); the network line data-state (online | offline | syncing).
 * static/js/gate-rules.js (window.JatraGateRules) is loaded first: the pure rules of the offline judging.
 *
 * Online, every scan is a POST to data-scan-url and the server's verdict is shown. When that fails (no
 * network, a 5xx, no answer in 3 s) the console judges the ticket itself: it reads the signed payload,
 * checks its Ed25519 signature with WebCrypto against the keys of the offline data (GET data-offline-url,
 * kept in IndexedDB so a reload without network still works), applies the gate's scope rules (a mirror of
 * services/gate/scope.py) and the revoked/used lists, and remembers whom it let in. Such scans wait in
 * IndexedDB ('pending') until a POST to data-sync-url takes them; the server's conflicts (the ticket went
 * in elsewhere first) are listed under the network line. Once a request failed, scans are judged here
 * until the server answers again (probed every 5 s), so a dropped network does not make each scan wait 3 s.
 *
 * Nothing is global but window.jatraGate.scan(text), for debugging and the browser tests.
 */
(() => {
  "use strict";
  const root = document.getElementById("gate-console");
  if (!root) return;

  const SCAN_TIMEOUT_MS = 3000, OFFLINE_TIMEOUT_MS = 5000, SYNC_TIMEOUT_MS = 10000;
  const REFRESH_MS = 60000, PROBE_MS = 5000, SYNC_EVERY_MS = 10000;
  const VERDICT_MS = 2500, CAMERA_EVERY_MS = 150, SAME_CODE_MS = 3000, MAX_FRAME_WIDTH = 800;
  const SYNC_BATCH = 500, CODE_MAX = 2000;
  const DEVICE_KEY = "jatra-gate-device", DB_NAME = "jatra-gate";
  const rules = window.JatraGateRules;

  const $ = (id) => document.getElementById(id);
  const urls = { scan: root.dataset.scanUrl, sync: root.dataset.syncUrl, offline: root.dataset.offlineUrl };
  const gateKey = Number(root.dataset.gate); // the 'offline' record's key: the gate id, a number as in the JSON
  const messages = readMessages();
  const device = deviceId();

  const state = {
    db: null,
    offline: null,        // the last offline data from the server
    local: {},            // ticket id -> {inside, at}: movements this device judged on its own
    keys: new Map(),      // key id -> CryptoKey
    expected: new Map(),  // ticket number (upper case) -> expected entry
    expectedById: new Map(),
    offlineMode: false,   // a request failed: judge here until the server answers again
    pending: 0,
    syncing: null,        // the sync on its way (a promise)
    refreshTimer: null,
  };

  // --- small helpers -------------------------------------------------------------------------------------

  function readMessages() {
    try { return JSON.parse($("gate-messages")?.textContent || "{}"); } catch (err) { return {}; }
  }

  // Python's %-format: "%(name)s" and "%%", as the server's gettext strings are written.
  function fill(text, values = {}) {
    return String(text || "").replace(/%\((\w+)\)s|%%/g, (m, name) => (name ? String(values[name] ?? "") : "%"));
  }

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16)); // randomUUID exists only in secure contexts
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // One id per browser, kept across gates and reloads: the server ties offline scans to it.
  function deviceId() {
    try {
      let id = localStorage.getItem(DEVICE_KEY);
      if (!id) localStorage.setItem(DEVICE_KEY, (id = uuid()));
      return id;
    } catch (err) {
      return uuid(); // storage disabled: one id for this page's life
    }
  }

  const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  // "07:02" in the zone the offline data names
  const hhmm = (ms) => rules.hhmm(ms, state.offline?.zone);

  // A fetch with the gate's token, which gives up after `timeout` ms (body included): {status, json}.
  // Throws on a network error or a timeout.
  async function request(url, { method = "GET", body, timeout }) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeout);
    try {
      const headers = { "X-Gate-Token": root.dataset.token, Accept: "application/json" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      const response = await fetch(url, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal, cache: "no-store", credentials: "same-origin",
      });
      const json = await response.json().catch(() => null);
      return { status: response.status, json };
    } finally {
      clearTimeout(timer);
    }
  }

  // --- IndexedDB -----------------------------------------------------------------------------------------

  function openDb() {
    return new Promise((resolve, reject) => {
      const open = indexedDB.open(DB_NAME, 1);
      open.onupgradeneeded = () => {
        open.result.createObjectStore("offline"); // key: the gate id
        open.result.createObjectStore("pending", { keyPath: "id" });
      };
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
      open.onblocked = () => reject(new Error("IndexedDB blocked"));
    });
  }

  // Runs `work(store)` in one transaction; resolves with the last request's result when it commits.
  function idb(storeName, mode, work) {
    if (!state.db) return Promise.resolve(undefined); // no IndexedDB (private mode...): memory only
    return new Promise((resolve, reject) => {
      const tx = state.db.transaction(storeName, mode);
      const req = work(tx.objectStore(storeName));
      tx.oncomplete = () => resolve(req?.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  async function pendingScans() {
    const all = (await idb("pending", "readonly", (s) => s.getAll())) || [];
    // Scans of another gate (opened earlier on this device) belong to that gate's token, not this one.
    return all.filter((scan) => scan.gate == null || scan.gate === gateKey)
      .sort((a, b) => a.scanned_at - b.scanned_at);
  }

  async function countPending() {
    state.pending = (await pendingScans()).length;
    showNetwork();
  }

  function saveOffline() {
    if (!state.offline) return Promise.resolve();
    return idb("offline", "readwrite", (s) => s.put({ ...state.offline, local: state.local }, gateKey));
  }

  // --- offline data --------------------------------------------------------------------------------------

  async function adoptOffline(data) {
    const { local, ...server } = data;
    state.keys = await rules.importKeys(server.keys);
    state.offline = server;
    state.expected = new Map((server.expected || []).map((t) => [String(t.number).toUpperCase(), t]));
    state.expectedById = new Map((server.expected || []).map((t) => [Number(t.id), t]));
    if (local && !Object.keys(state.local).length) state.local = local;
  }

  // GET the offline data. True when the server answered with it (the network is back).
  async function refreshOffline() {
    if (!urls.offline || !navigator.onLine) return false;
    // Admissions judged here that the server had before this request are in its lists now: they go,
    // so that what happens after (an exit at another gate) is the server's to say again.
    const known = Object.keys(state.local).filter((id) => state.local[id].synced);
    let answer;
    try {
      answer = await request(urls.offline, { timeout: OFFLINE_TIMEOUT_MS });
    } catch (err) {
      goOffline();
      return false;
    }
    if (answer.status >= 500) goOffline();
    if (answer.status !== 200 || !answer.json) return false;
    await adoptOffline(answer.json);
    known.forEach((id) => { if (state.local[id]?.synced) delete state.local[id]; });
    await saveOffline().catch(() => {});
    goOnline();
    return true;
  }

  // Every minute while online; every 5 s while offline, as the probe that ends offline mode.
  function scheduleRefresh(ms) {
    clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(async () => {
      await refreshOffline();
      scheduleRefresh(state.offlineMode ? PROBE_MS : REFRESH_MS);
    }, ms);
  }

  function goOffline() {
    if (!state.offlineMode) {
      state.offlineMode = true;
      scheduleRefresh(PROBE_MS);
    }
    showNetwork();
  }

  function goOnline() {
    const was = state.offlineMode;
    state.offlineMode = false;
    if (was) scheduleRefresh(REFRESH_MS);
    showNetwork();
    if (state.pending) sync();
  }

  // --- judging a ticket on our own (the rules are gate-rules.js; the ticket's state mirrors checkin.py) -----

  const facts = (reason, claims, gate) =>
    rules.facts(reason, claims, gate, { lang: document.documentElement.lang, zone: state.offline?.zone });

  const rejected = (reason, extra = {}) => ({ result: "rejected", reason, ...extra });

  // The ticket's own state, as the check-in's conditional UPDATE would find it: revoked, inside already
  // (the server's list, or an admission judged here), or free to pass.
  function movement(ticketId, direction, detail) {
    const data = state.offline, key = String(ticketId);
    const local = state.local[key], used = data.used?.[key];
    const revoked = data.revoked?.[key];
    if (revoked) return rejected(revoked, { ticketId, detail });
    const inside = local ? local.inside : Boolean(used);
    if (direction === "exit") {
      if (!inside) return rejected("not_inside", { ticketId, detail });
      return { result: "exited", reason: null, ticketId, detail };
    }
    if (!inside) return { result: "admitted", reason: null, ticketId, detail };
    if (!local) return rejected("already_used", { ticketId, detail, params: used });
    if (local.first) return rejected("already_used", { ticketId, detail, params: local.first }); // as the server said
    const here = { gate: data.gate?.name || "", at: hhmm(local.at), by: messages.this_device || "this device" };
    return rejected("already_used", { ticketId, detail, params: here, local: true });
  }

  // messages.detail(): "Adult, seat KA-12, Rahim U.", what the guard compares with the person in front.
  function detailOf(ticketId, claims) {
    const known = state.expectedById.get(Number(ticketId));
    const label = claims?.label || known?.label;
    const words = (known?.holder || "").split(/\s+/).filter(Boolean);
    const holder = words.length ? [words[0], ...words.slice(1, 2).map((w) => w[0] + ".")].join(" ") : claims?.tag;
    return [label, holder].filter(Boolean).join(", ");
  }

  async function judgeOffline(code, direction) {
    const data = state.offline;
    const gate = data?.gate || {};
    if (direction === "exit" && !gate.allows_exit) direction = "entry";
    if (!code.toUpperCase().startsWith(rules.PREFIX)) {
      // A typed ticket number: only the expected list knows it, and there is no signature to check. The
      // list holds the gate's tickets only; of the scope, what needs no claims is checked.
      const known = state.expected.get(code.toUpperCase().slice(0, 32));
      if (!data || !known) return rejected("unknown_ticket");
      const detail = detailOf(known.id);
      if (direction === "entry" && gate.kind !== "trip" && gate.opens_at != null && Date.now() < gate.opens_at) {
        return rejected("not_yet_open", { ticketId: known.id, detail, params: facts("not_yet_open", null, gate) });
      }
      return movement(known.id, direction, detail);
    }
    // no offline data: no keys, so a payload of this tenant reads as unknown_key
    const tenant = data ? data.tenant_id : root.dataset.tenant;
    const { claims, reason } = await rules.verifyPayload(code, tenant, data ? state.keys : null);
    if (reason) return rejected(reason);
    const detail = detailOf(claims.ticket, claims);
    // leaving: always in scope
    const scope = direction === "entry" ? rules.scopeReason(claims, gate, Date.now()) : null;
    if (scope) return rejected(scope, { ticketId: claims.ticket, detail, params: facts(scope, claims, gate) });
    return movement(claims.ticket, direction, detail);
  }

  async function scanOffline(code, direction) {
    const started = performance.now();
    const judged = await judgeOffline(code, direction);
    const ms = performance.now() - started;
    const scan = { id: uuid(), gate: gateKey, code, direction, scanned_at: Date.now(),
                   result: judged.result, reason: judged.reason };
    if (judged.ticketId != null && judged.result !== "rejected") {
      const inside = judged.result === "admitted";
      state.local[String(judged.ticketId)] = { inside, at: scan.scanned_at, scan: scan.id };
      await saveOffline().catch(() => {});
    }
    await idb("pending", "readwrite", (s) => s.put(scan)).catch(() => {});
    await countPending();
    return {
      result: judged.result, reason: judged.reason, title: titleOf(judged.result), detail: judged.detail || "",
      message: judged.reason ? reasonText(judged) : "", ms, mode: "offline",
    };
  }

  function titleOf(result) {
    if (result === "admitted") return messages.valid || "VALID";
    if (result === "exited") return messages.exit || "EXIT";
    return messages.not_valid || "NOT VALID";
  }

  function reasonText(judged) {
    const reasons = messages.reasons || {};
    if (judged.local && messages.already_used_offline) return fill(messages.already_used_offline, judged.params);
    return fill(reasons[judged.reason] || judged.reason, judged.params || {});
  }

  // --- asking the server -----------------------------------------------------------------------------------

  // The server's verdict, or null when it cannot be had (then the scan is judged here).
  async function scanOnline(code, direction) {
    const started = performance.now();
    let answer;
    try {
      const body = { code, device, direction };
      answer = await request(urls.scan, { method: "POST", body, timeout: SCAN_TIMEOUT_MS });
    } catch (err) {
      return null; // no network, or no answer in time
    }
    if (answer.status >= 500) return null;
    const ms = performance.now() - started;
    const json = answer.json || {};
    if (answer.status !== 200) {
      // A bad or expired token, a closed gate: judging here would let people in through a closed gate.
      // Not "NOT VALID" either: the ticket was not looked at. The server's words are the title.
      return { result: "error", reason: null, title: json.error || String(answer.status), detail: "",
               message: "", ms, mode: "online" };
    }
    return { result: json.result, reason: json.reason || null, title: json.title || titleOf(json.result),
             detail: json.detail || "", message: json.message || "", ms, mode: "online",
             ticketId: json.ticket_id ?? null, first: json.first || null };
  }

  // What the server just said about a ticket counts offline too, until the next offline data has it: a
  // ticket let in here a minute ago must not get in again when the network drops now.
  function remember(verdict) {
    const id = verdict.ticketId;
    if (id == null || !state.offline) return;
    const inside = verdict.result === "admitted" || verdict.reason === "already_used";
    if (verdict.result === "rejected" && verdict.reason !== "already_used" && verdict.reason !== "not_inside") return;
    const first = verdict.result === "rejected" ? verdict.first : null; // where it went in, for the sentence
    state.local[String(id)] = { inside, at: Date.now(), synced: true, first };
    saveOffline().catch(() => {});
  }

  // Hands the pending scans to the server, 500 at a time. One sync at a time: a caller joins the running one.
  function sync() {
    if (!state.syncing) state.syncing = syncAll().finally(() => { state.syncing = null; showNetwork(); });
    return state.syncing;
  }

  async function syncAll() {
    if (!urls.sync || !navigator.onLine) return;
    for (;;) {
      const scans = (await pendingScans()).slice(0, SYNC_BATCH);
      if (!scans.length) return;
      showNetwork(messages.syncing);
      let answer;
      try {
        const body = { device, scans: scans.map(({ id, code, direction, scanned_at, result, reason }) =>
          ({ id, code, direction, scanned_at, result, reason })) };
        answer = await request(urls.sync, { method: "POST", body, timeout: SYNC_TIMEOUT_MS });
      } catch (err) {
        goOffline();
        return;
      }
      if (answer.status >= 500) goOffline();
      const synced = answer.status === 200 ? answer.json?.synced || [] : [];
      if (!synced.length) return; // refused (401: the gate closed): the scans stay and wait
      const ids = new Set(synced.map((s) => s.id));
      await idb("pending", "readwrite", (s) => { ids.forEach((id) => s.delete(id)); }).catch(() => {});
      Object.values(state.local).forEach((entry) => { if (ids.has(entry.scan)) entry.synced = true; });
      await saveOffline().catch(() => {});
      await countPending();
      showConflicts(synced);
      goOnline();
      if (synced.length < scans.length) return; // the server kept some back: try again at the next tick
    }
  }

  // --- one scan ------------------------------------------------------------------------------------------

  const preferOffline = () => state.offlineMode || !navigator.onLine;

  async function judge(code, direction) {
    if (!preferOffline() && state.pending) {
      // Let the server hear of the people let in offline before it judges again (no double entry),
      // but do not keep the queue waiting longer than a scan would: a sync still running means we judge.
      const synced = await Promise.race([sync().then(() => true), delay(SCAN_TIMEOUT_MS).then(() => false)]);
      if (!synced) return scanOffline(code, direction);
    }
    if (!preferOffline()) {
      const verdict = await scanOnline(code, direction);
      if (verdict) {
        remember(verdict);
        if (state.pending) sync();
        return verdict;
      }
      goOffline();
    }
    return scanOffline(code, direction);
  }

  // Scans are judged one after the other: two quick scans of one ticket offline must not both get in.
  let queue = Promise.resolve();

  function scan(text) {
    const code = String(text ?? "").trim().slice(0, CODE_MAX);
    if (!code) return Promise.resolve(null);
    const direction = $("direction")?.value === "exit" ? "exit" : "entry";
    const run = queue.then(async () => {
      startScan();
      const verdict = await judge(code, direction);
      showVerdict(verdict);
      return verdict;
    });
    queue = run.catch(() => {});
    return run;
  }

  // --- the verdict -----------------------------------------------------------------------------------------

  const verdictEl = $("verdict");
  let verdictTimer = null;

  function part(name) {
    let el = verdictEl.querySelector(`.verdict-${name}`);
    if (!el) {
      el = document.createElement("p");
      el.className = `verdict-${name}`;
      verdictEl.append(el);
    }
    return el;
  }

  function startScan() {
    // The last verdict goes, so that what shows next is this scan's (and tests wait for fresh attributes).
    if (!verdictEl) return;
    hideVerdict();
    delete verdictEl.dataset.result;
    delete verdictEl.dataset.reason;
    delete verdictEl.dataset.ms;
  }

  function showVerdict(v) {
    if (!verdictEl || !v) return;
    clearTimeout(verdictTimer);
    verdictEl.classList.remove("verdict-valid", "verdict-invalid", "verdict-exit", "verdict-error");
    const look = { admitted: "verdict-valid", exited: "verdict-exit" }[v.result] || "verdict-invalid";
    verdictEl.classList.add(look);
    verdictEl.classList.toggle("verdict-error", v.result === "error");
    verdictEl.dataset.result = v.result;
    verdictEl.dataset.reason = v.reason || "";
    verdictEl.dataset.ms = v.ms.toFixed(2);
    verdictEl.dataset.mode = v.mode;
    verdictEl.hidden = false; // shown before it is filled, so that screen readers announce the words
    part("title").textContent = v.title;
    part("detail").textContent = v.detail;
    part("reason").textContent = v.message;
    verdictTimer = setTimeout(hideVerdict, VERDICT_MS);
    feedback(v.result);
  }

  function hideVerdict() {
    clearTimeout(verdictTimer);
    if (verdictEl) verdictEl.hidden = true;
  }

  // --- sound and vibration ---------------------------------------------------------------------------------

  let audio = null;

  // Browsers let a page make sound only after a tap or key: the context is made on the first one.
  function unlockAudio() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) audio = new Context();
    if (audio?.state === "suspended") audio.resume().catch(() => {});
  }

  function tone(frequency, start, seconds) {
    const t = audio.currentTime + start;
    const osc = audio.createOscillator(), gain = audio.createGain();
    osc.type = "square"; // carries over crowd noise better than a sine
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.25, t + 0.01); // no click at the edges
    gain.gain.exponentialRampToValueAtTime(0.0001, t + seconds);
    osc.connect(gain).connect(audio.destination);
    osc.start(t);
    osc.stop(t + seconds + 0.02);
  }

  function feedback(result) {
    const activated = navigator.userActivation ? navigator.userActivation.hasBeenActive : true;
    if (audio && audio.state === "running") {
      if (result === "admitted") tone(1760, 0, 0.12);
      else if (result === "exited") tone(1175, 0, 0.08);
      else { tone(330, 0, 0.18); tone(220, 0.26, 0.22); }
    }
    // Chromium refuses (and complains on the console) before the first tap
    const good = result === "admitted" || result === "exited";
    if (navigator.vibrate && activated) navigator.vibrate(good ? [80] : [200, 100, 200]);
  }

  // --- the network line ------------------------------------------------------------------------------------

  function showNetwork(text) {
    const el = $("network-state");
    if (!el) return;
    let mode = "online";
    if (text) mode = "syncing";
    else if (state.syncing && !state.offlineMode && navigator.onLine) { mode = "syncing"; text = messages.syncing; }
    else if (state.pending || state.offlineMode || !navigator.onLine) {
      mode = "offline";
      text = !state.pending && messages.offline_ready
        ? messages.offline_ready
        : fill(state.pending === 1 && messages.offline_one ? messages.offline_one : messages.offline, { n: state.pending });
    }
    else text = messages.online;
    el.dataset.state = mode;
    el.dataset.pending = String(state.pending);
    if (el.textContent !== text) el.textContent = text || ""; // unchanged words are not announced again
  }

  // The server disagreed with admissions judged here (the ticket went in elsewhere first): the guard is
  // told, once, under the network line; the admin's conflicts report has them all.
  function showConflicts(synced) {
    const found = synced.filter((s) => s.conflict).map((s) => s.message).filter(Boolean);
    if (!found.length) return;
    let el = $("sync-conflicts");
    if (!el) {
      el = document.createElement("ul");
      el.id = "sync-conflicts";
      el.className = "sync-conflicts";
      el.setAttribute("role", "status");
      $("network-state")?.after(el);
    }
    for (const text of found) {
      const item = document.createElement("li");
      item.textContent = text;
      el.prepend(item);
    }
    while (el.children.length > 5) el.lastElementChild.remove();
  }

  // --- the form (hardware scanners type + Enter; people type a ticket number) ------------------------------

  function onSubmit(event) {
    event.preventDefault();
    const input = $("scan-input");
    const text = input.value;
    input.value = "";
    input.focus();
    scan(text);
  }

  function onVerdictClick() {
    hideVerdict();
    // The scanner types into the input: it keeps the focus (unless the camera is what is used).
    if (!camera.stream) $("scan-input")?.focus({ preventScroll: true });
  }

  // --- the camera ------------------------------------------------------------------------------------------

  const camera = { stream: null, starting: false, timer: null, text: "", seen: 0, context: null };

  function cameraButton(on) {
    const button = $("camera-toggle");
    if (!button) return;
    if (!button.dataset.startText) button.dataset.startText = button.textContent.trim();
    button.textContent = on ? messages.camera_stop || button.dataset.stopText || "Stop camera"
                            : messages.camera_start || button.dataset.startText;
    button.setAttribute("aria-pressed", String(on));
  }

  function cameraMessage(text) {
    let el = $("camera-message");
    if (!el && text) {
      el = document.createElement("p");
      el.id = "camera-message";
      el.className = "camera-message";
      el.setAttribute("role", "alert");
      $("camera-toggle")?.after(el);
    }
    if (el) { el.textContent = text; el.hidden = !text; }
  }

  async function startCamera() {
    cameraMessage("");
    if (!navigator.mediaDevices?.getUserMedia || typeof window.jsQR !== "function") {
      cameraMessage(messages.camera_denied || "");
      return;
    }
    try {
      camera.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (err) {
      camera.stream = null;
      cameraMessage(messages.camera_denied || "");
      return;
    }
    const video = $("camera");
    video.srcObject = camera.stream;
    video.hidden = false;
    await video.play().catch(() => {}); // muted + playsinline: allowed without a further tap
    camera.timer = setInterval(readFrame, CAMERA_EVERY_MS);
    cameraButton(true);
  }

  function stopCamera() {
    clearInterval(camera.timer);
    camera.stream?.getTracks().forEach((track) => track.stop());
    camera.stream = null;
    const video = $("camera");
    if (video) { video.srcObject = null; video.hidden = true; }
    cameraButton(false);
  }

  function readFrame() {
    const video = $("camera"), canvas = $("camera-frame");
    if (!video || !canvas || video.readyState < video.HAVE_CURRENT_DATA || !video.videoWidth) return;
    const scale = Math.min(1, MAX_FRAME_WIDTH / video.videoWidth); // a big frame costs time, not codes
    const w = Math.round(video.videoWidth * scale), h = Math.round(video.videoHeight * scale);
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; camera.context = null; }
    camera.context ||= canvas.getContext("2d", { willReadFrequently: true });
    camera.context.drawImage(video, 0, 0, w, h);
    const found = window.jsQR(camera.context.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "dontInvert" });
    if (found?.data) onCameraText(found.data);
  }

  // A code held in front of the camera is read ~7 times a second: it counts once, until it has been
  // out of sight for SAME_CODE_MS (another code in between counts at once).
  function onCameraText(text) {
    const now = Date.now();
    const same = text === camera.text && now - camera.seen < SAME_CODE_MS;
    camera.text = text;
    camera.seen = now;
    if (!same) scan(text);
  }

  function toggleCamera() {
    if (camera.starting) return; // the browser is still asking for the camera
    if (camera.stream) stopCamera();
    else {
      camera.starting = true;
      startCamera().finally(() => { camera.starting = false; });
    }
  }

  // --- the service worker: the console reloads without network -----------------------------------------

  function pageAssets() {
    const found = [location.href.split("#")[0]];
    document.querySelectorAll("script[src], img[src]").forEach((el) => found.push(el.src));
    document.querySelectorAll("link[href]").forEach((el) => {
      if (/\b(stylesheet|manifest|icon)\b/.test(el.rel)) found.push(el.href);
    });
    return found;
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    // scope without the trailing slash: the open-gate page /staff/gate (the manifest's start_url) too
    navigator.serviceWorker.register("/staff/gate/sw.js", { scope: "/staff/gate" })
      .then(() => navigator.serviceWorker.ready)
      // the page and its files were loaded before the worker existed: it fetches them into its cache
      .then((registration) => registration.active?.postMessage({ type: "cache", urls: pageAssets() }))
      .catch(() => {}); // no worker (private window...): the console still works while online
  }

  // --- start -------------------------------------------------------------------------------------------------

  async function start() {
    try { state.db = await openDb(); } catch (err) { state.db = null; }
    // The copy kept from the last visit first: scans can be judged at once, even with no network at all.
    const stored = await idb("offline", "readonly", (s) => s.get(gateKey)).catch(() => null);
    if (stored) await adoptOffline(stored);
    await countPending().catch(() => {});
  }

  function wire() {
    $("scan-form")?.addEventListener("submit", onSubmit);
    verdictEl?.addEventListener("click", onVerdictClick);
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && verdictEl && !verdictEl.hidden) onVerdictClick();
    });
    $("camera-toggle")?.addEventListener("click", toggleCamera);
    const video = $("camera");
    if (video) video.hidden = true; // nothing to show until the camera runs
    cameraButton(false);
    window.addEventListener("online", () => { refreshOffline().then(() => sync()); showNetwork(); });
    window.addEventListener("offline", goOffline);
    window.addEventListener("pagehide", stopCamera);
    document.addEventListener("pointerdown", unlockAudio, { capture: true });
    document.addEventListener("keydown", unlockAudio, { capture: true });
    setInterval(() => { if (state.pending && navigator.onLine) sync(); }, SYNC_EVERY_MS);
  }

  // Then the network: fresh offline data, and the scans a previous visit left waiting.
  async function connect() {
    try {
      if (!(await refreshOffline()) && !navigator.onLine) goOffline();
    } finally {
      scheduleRefresh(state.offlineMode ? PROBE_MS : REFRESH_MS);
      if (state.pending && !state.offlineMode) sync();
      showNetwork();
    }
  }

  wire();
  const ready = start().catch(() => {});
  queue = ready; // scans typed during start wait for the stored offline data
  ready.then(connect).catch(() => {});
  registerWorker();

  window.jatraGate = Object.freeze({ scan });
})();
