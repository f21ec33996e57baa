/* liaison: a decision's inclusion proof checked in the reader's browser (issue 11; docs/pages.md
   "A decision and its proof"), so the reader need not trust the server. No dependencies: WebCrypto
   SHA-256 and Ed25519 only. The page embeds a proof file (src/liaison/ledger/proof_file.py) in
   <script type="application/json" id="proof-data">; the reader's verifier key is in #verifier-key.

   1. the verifier key, C2SP signed-note: <name>+<8 hex key hash>+<base64(0x01 || 32-byte key)>,
      key hash = SHA-256(name || "\n" || 0x01 || key)[:4];
   2. the checkpoint, a C2SP signed note: its text (up to the last blank line), then signature
      lines "— <name> <base64(4-byte key hash || 64-byte Ed25519 signature)>"; the text is
      C2SP tlog-checkpoint: origin, tree size, base64 root. The signature by the reader's key
      (same name and key hash) must verify over the text;
   3. the leaf hash SHA-256(0x00 || entry body) (RFC 6962 section 2.1);
   4. the root from the audit path (RFC 9162 section 2.1.3.2), equal to the signed root, at the
      signed size.
   Signature lines by other keys (the witnesses' cosignatures, C2SP tlog-cosignature) are not
   checked here but counted: the reader checks them with their own copies of the witnesses' keys
   (`liaison verify-proof --witness`). A proof file's "consistency" part (proofs from older trees,
   for a checkpoint the reader saved) is not read: the check is against the page's checkpoint. */
(function () {
  "use strict";

  var enc = new TextEncoder();

  function b64(text) {
    if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4) {
      throw new Error("not base64: " + String(text).slice(0, 40));
    }
    var raw = atob(text);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function toB64(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s);
  }

  function concat() {
    var size = 0, at = 0, i;
    for (i = 0; i < arguments.length; i++) size += arguments[i].length;
    var out = new Uint8Array(size);
    for (i = 0; i < arguments.length; i++) { out.set(arguments[i], at); at += arguments[i].length; }
    return out;
  }

  function equal(a, b) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (x) { return x.toString(16).padStart(2, "0"); }).join("");
  }

  /* Step 1: the reader's verifier key. */
  async function parseKey(vkey) {
    var parts = vkey.trim().split("+");
    if (parts.length < 3) throw new Error("a verifier key is <name>+<key hash>+<base64 key>");
    var name = parts[0], hash = parts[1].toLowerCase(), raw = b64(parts.slice(2).join("+"));
    if (raw.length !== 33 || raw[0] !== 1) throw new Error("not an Ed25519 key (0x01 and 32 bytes)");
    var key = raw.slice(1);
    var computed = hex((await sha256(concat(enc.encode(name + "\n"), raw))).slice(0, 4));
    if (computed !== hash) throw new Error("its key hash is " + computed + ", not " + hash);
    return { name: name, hash: hash, key: key };
  }

  /* Step 2: the signed checkpoint, by the reader's key. */
  function parseNote(note) {
    var split = note.lastIndexOf("\n\n");
    if (split < 0) throw new Error("the checkpoint has no signature lines");
    var text = note.slice(0, split + 1);
    var lines = note.slice(split + 2).replace(/\n$/, "").split("\n");
    var body = text.slice(0, -1).split("\n");
    if (body.length < 3 || !/^(0|[1-9][0-9]*)$/.test(body[1])) throw new Error("not a checkpoint");
    var signatures = lines.map(function (line) {
      var m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m) throw new Error("a signature line is malformed");
      var raw = b64(m[2]);
      return { name: m[1], hash: hex(raw.slice(0, 4)), sig: raw.slice(4) };
    });
    return { text: text, origin: body[0], size: Number(body[1]), root: b64(body[2]), signatures: signatures };
  }

  async function signedBy(note, key) {
    var mine = note.signatures.filter(function (s) { return s.name === key.name && s.hash === key.hash; });
    if (!mine.length) {
      return "no signature by " + key.name + "+" + key.hash + " (signed by: " +
        note.signatures.map(function (s) { return s.name + "+" + s.hash; }).join(", ") + ")";
    }
    var pub = await crypto.subtle.importKey("raw", key.key, { name: "Ed25519" }, false, ["verify"]);
    for (var i = 0; i < mine.length; i++) {
      if (!(await crypto.subtle.verify({ name: "Ed25519" }, pub, mine[i].sig, enc.encode(note.text)))) {
        return "the signature by " + key.name + "+" + key.hash + " is not valid";
      }
    }
    return "";
  }

  /* Step 4: RFC 9162 section 2.1.3.2, the root an audit path leads to (null: it leads nowhere). */
  async function rootFrom(leaf, index, size, path) {
    if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) return null;
    var fn = index, sn = size - 1, r = leaf, one = new Uint8Array([1]);
    for (var i = 0; i < path.length; i++) {
      if (sn === 0) return null;
      if (fn % 2 === 1 || fn === sn) {
        r = await sha256(concat(one, path[i], r));
        while (fn !== 0 && fn % 2 === 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        r = await sha256(concat(one, r, path[i]));
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 ? r : null;
  }

  async function check(data, vkey, step) {
    var key;
    try { key = await parseKey(vkey); } catch (e) { return step(false, "Verifier key: " + e.message); }
    step(true, "Verifier key read: " + key.name + "+" + key.hash);
    var note;
    try { note = parseNote(data.checkpoint); } catch (e) { return step(false, "Checkpoint: " + e.message); }
    var bad = await signedBy(note, key);
    if (bad) return step(false, "Checkpoint signature: " + bad);
    var others = note.signatures.length - note.signatures.filter(function (s) {
      return s.name === key.name && s.hash === key.hash;
    }).length;
    step(true, "Checkpoint signature valid: " + note.origin + ", tree of " + note.size + " entries, root " +
      toB64(note.root) + (others ? " (and " + others + " other signature line" + (others > 1 ? "s" : "") +
      ", not checked here: the witnesses' cosignatures, which `liaison verify-proof --witness` checks)" : ""));
    var same = note.size === data.size && toB64(note.root) === data.root;
    step(same, same ? "The proof is for the signed tree" : "The proof names another tree (" + data.size + ", " + data.root + ")");
    if (!same) return false;
    var leaf = await sha256(concat(new Uint8Array([0]), b64(data.body)));
    var stated = toB64(leaf) === data.leaf_hash;
    step(stated, "Leaf hash of the entry body: " + toB64(leaf) + (stated ? " (as stated)" : ", not the stated " + data.leaf_hash));
    var root = await rootFrom(leaf, data.index, note.size, data.proof.map(b64));
    var included = root !== null && equal(root, note.root);
    step(included, included
      ? "The audit path of " + data.proof.length + " hashes leads from entry " + data.index + " to the signed root"
      : "The audit path does not lead from this body at entry " + data.index + " to the signed root");
    return stated && included;
  }

  function show(status, words) {
    var p = document.getElementById("proof-status");
    p.dataset.status = status;
    p.textContent = words;
  }

  async function run() {
    var steps = document.getElementById("proof-steps");
    steps.textContent = "";
    if (!window.crypto || !crypto.subtle) {
      show("unavailable", "Unavailable: this browser cannot check the proof here (WebCrypto needs a " +
        "secure origin, https or localhost). Download the proof and check it with `liaison ledger check-proof`.");
      return;
    }
    var ok = false;
    function step(good, words) {
      var li = document.createElement("li");
      li.textContent = (good ? "Passed: " : "Failed: ") + words;
      li.className = good ? "ok" : "bad";
      steps.appendChild(li);
      return false;
    }
    try {
      var data = JSON.parse(document.getElementById("proof-data").textContent);
      ok = await check(data, document.getElementById("verifier-key").value, step);
    } catch (e) {
      if (e && e.name === "NotSupportedError") {
        show("unavailable", "Unavailable: this browser has no Ed25519 in WebCrypto. Download the " +
          "proof and check it with `liaison ledger check-proof`.");
        return;
      }
      step(false, String((e && e.message) || e));
      ok = false;
    }
    if (ok) {
      show("verified", "Verified in your browser: this entry is in the ledger whose tree the key signed.");
    } else {
      show("failed", "Failed: the proof does not check against this verifier key (see the steps).");
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.getElementById("proof-data")) return;
    var form = document.getElementById("proof-check");
    form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
    document.getElementById("check-again").hidden = false;
    run();
  });
})();
