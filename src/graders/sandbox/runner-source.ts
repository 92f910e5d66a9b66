/**
 * JavaScript that runs *inside* the QuickJS virtual machine, next to the user's
 * grader. QuickJS is a separate JavaScript engine compiled to WebAssembly: its
 * objects live in the wasm module's linear memory, so nothing the grader can
 * touch (an error, a promise, a constructor, a prototype) belongs to the host's
 * realm, and the VM has no network, storage, timers or modules at all.
 *
 * The runner is text because it must be evaluated in that VM. Data crosses as
 * JSON strings. Everything the loop relies on is captured before user code
 * runs, so a grader that patches JSON, Array, String or Object.prototype can at
 * worst spoil its own result, which the host then validates (see
 * sandboxed-grader.ts) and refuses as a grader error.
 */

/** Name user code is evaluated under; stack frames mention it with line and column. */
import { MESSAGE_CAP } from './protocol.ts';

export const GRADER_FILENAME = 'grader.js';

/**
 * Appended to the user's source (after a newline, so their line numbers do not move)
 * to pick up `grade` whether it is a function declaration or a const/let.
 */
export const SOURCE_SUFFIX = '\n;globalThis.__rftGrade = typeof grade === "function" ? grade : undefined;\n';

export { MESSAGE_CAP };

/**
 * Names a student may try for the network or the host, defined to fail with a
 * message that says why. The VM has none of them anyway: this is for the
 * message only, not the wall.
 */
export const PRELUDE_SOURCE = String.raw`(function () {
  'use strict';
  var blocked = function (what, kind) {
    return function () {
      var target = arguments.length > 0 ? ' (' + String(arguments[0]).slice(0, 80) + ')' : '';
      throw new Error(kind + ' is blocked in graders: ' + what + target + ' is not allowed');
    };
  };
  var net = ['fetch()', 'new XMLHttpRequest()', 'new WebSocket()', 'new EventSource()', 'new WebTransport()', 'importScripts()',
    'new Worker()', 'new SharedWorker()', 'new BroadcastChannel()', 'new RTCPeerConnection()', 'new WebSocketStream()'];
  var host = ['require()', 'setTimeout()', 'setInterval()', 'queueMicrotask()', 'postMessage()'];
  function define(list, kind) {
    for (var k = 0; k < list.length; k++) {
      var what = list[k], name = what.replace(/^new /, '').replace('()', '');
      Object.defineProperty(globalThis, name, { value: blocked(what, kind), writable: false, configurable: false, enumerable: false });
    }
  }
  define(net, 'network access');
  define(host, 'host access');
})();`;

/**
 * Evaluates to the runner: `take()` picks up the user's grade function after
 * their source ran; `run(json)` grades a batch and returns a JSON string;
 * `current()` is the chunk-local index of the sample being graded, read by the
 * host after a time-out interrupts the VM; `describe(e)` words a top-level throw.
 */
export const RUNNER_SOURCE = String.raw`(function () {
  'use strict';
  var parse = JSON.parse, stringify = JSON.stringify, isFinite = Number.isFinite, freeze = Object.freeze;
  var isFrozen = Object.isFrozen, keys = Object.keys, StringFn = String, isArray = Array.isArray;
  var apply = Reflect.apply, slice = String.prototype.slice, exec = RegExp.prototype.exec, join = Array.prototype.join;
  var setProto = Object.setPrototypeOf, create = Object.create, getProto = Object.getPrototypeOf, ownProperty = Object.getOwnPropertyDescriptor;
  // Captured before user code can replace InternalError or its hasInstance: a grader must not pass its own throw off as the VM's.
  var INTERNAL_ERROR = InternalError.prototype;
  var OUT_OF_MEMORY = freeze({ name: 'InternalError', message: 'out of memory' });
  var FILE = /grader\.js:(\d+)(?::(\d+))?/;
  var CAP = ${MESSAGE_CAP};
  var grade, index = -1;

  function cap(s) {
    s = StringFn(s);
    return s.length > CAP ? apply(slice, s, [0, CAP - 3]) + '...' : s;
  }

  // A list nobody can intercept: no prototype, so no inherited setters on '0', '1', ...
  function list() { return setProto([], null); }

  function deepFreeze(v) {
    if (v !== null && typeof v === 'object' && !isFrozen(v)) {
      freeze(v);
      var ks = keys(v);
      for (var k = 0; k < ks.length; k++) deepFreeze(v[ks[k]]);
    }
    return v;
  }

  function where(e) {
    var stack;
    try { stack = e && typeof e === 'object' ? e.stack : undefined; } catch (x) { stack = undefined; }
    var m = typeof stack === 'string' ? apply(exec, FILE, [stack]) : null;
    return m ? ' at line ' + m[1] + (m[2] ? ', column ' + m[2] : '') : '';
  }

  function describeThrown(e) {
    try {
      if (e && typeof e === 'object' && typeof e.message === 'string') {
        var name = typeof e.name === 'string' ? cap(e.name) : 'Error';
        return { where: where(e), text: name + ': ' + cap(e.message) };
      }
      var shown;
      try { shown = stringify(e); } catch (x) { shown = undefined; }
      return { where: '', text: 'threw ' + cap(typeof shown === 'string' ? shown : StringFn(e)) };
    } catch (x) {
      return { where: '', text: 'threw a value that cannot be shown' };
    }
  }

  function isOutOfMemory(e) {
    try {
      if (e === null || typeof e !== 'object' || getProto(e) !== INTERNAL_ERROR) return false;
      var d = ownProperty(e, 'message');
      return d !== undefined && 'value' in d && d.value === 'out of memory';
    } catch (x) { return false; }
  }

  function describeReturn(v) {
    if (v === undefined) return 'returned undefined; grade() must return a number (is a "return" missing?)';
    if (typeof v === 'number') return 'returned ' + StringFn(v) + '; grade() must return a finite number';
    if (typeof v === 'string') return 'returned a string (' + stringify(cap(v.length > 40 ? apply(slice, v, [0, 37]) + '...' : v)) + '); grade() must return a number, e.g. Number(x)';
    if (typeof v === 'boolean') return 'returned ' + v + '; grade() must return a number, e.g. ok ? 1 : 0';
    if (typeof v === 'bigint') return 'returned a BigInt; grade() must return a number, e.g. Number(x)';
    if (v !== null && typeof v === 'object' && typeof v.then === 'function') {
      return 'returned a Promise; grade() must return a number synchronously (async functions and await are not supported)';
    }
    return 'returned ' + (v === null ? 'null' : isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : 'a ' + typeof v) + '; grade() must return a number';
  }

  return {
    take: function () {
      grade = globalThis.__rftGrade;
      try { delete globalThis.__rftGrade; } catch (e) {}
      return typeof grade === 'function';
    },
    describe: function (e) {
      var d = describeThrown(e);
      return d.where + ': ' + d.text;
    },
    current: function () { return index; },
    run: function (json) {
      var batch = parse(json);
      var texts = batch.texts, items = batch.items, itemOf = batch.itemOf, offset = batch.offset;
      // Frozen so one sample's grading cannot change what the next one sees.
      for (var j = 0; j < items.length; j++) deepFreeze(items[j]);
      var n = texts.length;
      var scores = list(), failed = list(), nFailed = 0, first = null;
      for (var i = 0; i < n; i++) {
        index = i;
        var v, problem = null;
        try {
          v = grade(freeze({ output_text: texts[i] }), items[itemOf[i]]);
          if (typeof v !== 'number' || !isFinite(v)) problem = 'grader ' + describeReturn(v) + ' on sample ' + (offset + i);
        } catch (e) {
          // Out of memory is the VM's limit, not this sample's fault: it ends the batch (the host says so).
          if (isOutOfMemory(e)) throw OUT_OF_MEMORY;
          var d = describeThrown(e);
          problem = 'grader threw on sample ' + (offset + i) + d.where + ': ' + d.text;
        }
        if (problem === null) {
          scores[i] = StringFn(v);
        } else {
          scores[i] = '0';
          failed[nFailed++] = StringFn(i);
          if (first === null) first = cap(problem);
        }
      }
      index = -1;
      scores.length = n;
      failed.length = nFailed;
      // Built by hand from primitives: JSON.stringify of an object would consult a patched toJSON.
      return '{"scores":[' + apply(join, scores, [',']) + '],"failed":[' + apply(join, failed, [',']) + '],"firstError":' + (first === null ? 'null' : stringify(first)) + '}';
    }
  };
})`;
