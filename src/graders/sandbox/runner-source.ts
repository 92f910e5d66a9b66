/**
 * JavaScript that runs *inside* the sandbox realm (a vm context in Node, the
 * worker's global in the browser), next to the user's grader. It is text, not a
 * module, because it must be evaluated in that realm: in Node anything created
 * outside the context (a function, an array) would hand user code a way out
 * through `x.constructor.constructor("return process")()`. Data therefore
 * crosses as JSON strings, and everything the loop relies on is captured before
 * user code runs, so a grader that patches JSON or Array cannot reach it.
 */

/** Name user code is evaluated under; stack frames mention it with line and column. */
export const GRADER_FILENAME = 'grader.js';

/**
 * Appended to the user's source (after a newline, so their line numbers do not move)
 * to pick up `grade` whether it is a function declaration or a const/let.
 */
export const SOURCE_SUFFIX = '\n;globalThis.__rftGrade = typeof grade === "function" ? grade : undefined;\n';

/** Replaces the network with functions that fail loudly; the browser's CSP is the real wall. */
export const PRELUDE_SOURCE = String.raw`(function () {
  'use strict';
  var blocked = function (what) {
    return function () {
      var target = arguments.length > 0 ? ' (' + String(arguments[0]).slice(0, 80) + ')' : '';
      throw new Error('network access is blocked in graders: ' + what + target + ' is not allowed');
    };
  };
  var names = ['fetch', 'XMLHttpRequest', 'WebSocket', 'EventSource', 'WebTransport', 'importScripts', 'Worker', 'SharedWorker', 'BroadcastChannel'];
  for (var k = 0; k < names.length; k++) {
    var name = names[k];
    // Delete along the prototype chain: in a worker, fetch lives on WorkerGlobalScope.prototype.
    for (var o = globalThis; o; o = Object.getPrototypeOf(o)) {
      try { if (Object.prototype.hasOwnProperty.call(o, name)) delete o[name]; } catch (e) {}
    }
    try {
      Object.defineProperty(globalThis, name, { value: blocked(name === 'importScripts' ? 'importScripts()' : name === 'fetch' ? 'fetch()' : 'new ' + name + '()'), writable: false, configurable: false });
    } catch (e) {}
  }
})();`;

/**
 * Evaluates to `function (progress) → runner`: `progress(i)` is told which sample
 * is about to be graded (so a timeout can name it); the runner has
 * `take()` (picks up the user's grade function after their source ran) and
 * `run(json)` (grades a batch, returns a JSON string).
 */
export const RUNNER_SOURCE = String.raw`(function (progress) {
  'use strict';
  var parse = JSON.parse, stringify = JSON.stringify, isFinite = Number.isFinite, freeze = Object.freeze;
  var isFrozen = Object.isFrozen, keys = Object.keys, StringFn = String, isArray = Array.isArray;
  var FILE = /grader\.js:(\d+):(\d+)/;
  var grade;

  function deepFreeze(v) {
    if (v !== null && typeof v === 'object' && !isFrozen(v)) {
      freeze(v);
      var ks = keys(v);
      for (var k = 0; k < ks.length; k++) deepFreeze(v[ks[k]]);
    }
    return v;
  }

  function where(e) {
    var stack = e && typeof e === 'object' ? e.stack : undefined;
    var m = typeof stack === 'string' ? FILE.exec(stack) : null;
    return m ? ' at line ' + m[1] + ', column ' + m[2] : '';
  }

  function describeThrown(e) {
    if (e && typeof e === 'object' && typeof e.message === 'string') {
      var msg = e.message;
      // Node's wording for import() in a vm context tells a student nothing.
      if (/dynamic import callback/i.test(msg)) msg = 'import() is not allowed in a grader (network and module loading are blocked)';
      var name = typeof e.name === 'string' ? e.name : 'Error';
      return { where: where(e), text: name + ': ' + msg };
    }
    var shown;
    try { shown = stringify(e); } catch (x) { shown = undefined; }
    return { where: '', text: 'threw ' + (shown === undefined ? StringFn(e) : shown) };
  }

  function describeReturn(v) {
    if (v === undefined) return 'returned undefined; grade() must return a number (is a "return" missing?)';
    if (typeof v === 'number') return 'returned ' + StringFn(v) + '; grade() must return a finite number';
    if (typeof v === 'string') {
      var shown = v.length > 40 ? v.slice(0, 37) + '...' : v;
      return 'returned a string (' + stringify(shown) + '); grade() must return a number, e.g. Number(x)';
    }
    if (typeof v === 'boolean') return 'returned ' + v + '; grade() must return a number, e.g. ok ? 1 : 0';
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
    run: function (json) {
      var batch = parse(json);
      var texts = batch.texts, items = batch.items, itemOf = batch.itemOf, offset = batch.offset;
      // Frozen so one sample's grading cannot change what the next one sees.
      for (var j = 0; j < items.length; j++) deepFreeze(items[j]);
      var n = texts.length;
      var scores = new Array(n), failed = [], first = null;
      for (var i = 0; i < n; i++) {
        progress(i);
        var v, problem = null;
        try {
          v = grade(freeze({ output_text: texts[i] }), items[itemOf[i]]);
          if (typeof v !== 'number' || !isFinite(v)) problem = 'grader ' + describeReturn(v) + ' on sample ' + (offset + i);
        } catch (e) {
          var d = describeThrown(e);
          problem = 'grader threw on sample ' + (offset + i) + d.where + ': ' + d.text;
        }
        if (problem === null) {
          scores[i] = v;
        } else {
          scores[i] = 0;
          failed.push(i);
          if (first === null) first = problem;
        }
      }
      return stringify({ scores: scores, failed: failed, firstError: first });
    }
  };
})`;
