import { describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig } from '../../src/engine/config.ts';
import { defaultWork, fromRead, loadWork, type SavedWork } from '../../src/share/saved-work.ts';
import { isQuotaError, openBrowserStorage, UNREADABLE_KEY, WORK_KEY, WORK_VERSION, WorkStore, type StorageLike } from '../../src/share/storage.ts';

/** A Storage with a quota in characters (browsers count UTF-16 code units of key + value), like localStorage. */
class FakeStorage implements StorageLike {
  readonly items = new Map<string, string>();
  failReads = false;
  failWritesWith: Error | null = null;
  constructor(private readonly quota = Infinity) {}

  private used(except: string): number {
    let n = 0;
    for (const [k, v] of this.items) if (k !== except) n += k.length + v.length;
    return n;
  }

  getItem(key: string): string | null {
    if (this.failReads) throw new DOMException('The operation is insecure.', 'SecurityError');
    return this.items.get(key) ?? null;
  }

  setItem(key: string, value: string): void {
    if (this.failWritesWith) throw this.failWritesWith;
    if (this.used(key) + key.length + value.length > this.quota) {
      throw new DOMException(`Setting the value of '${key}' exceeded the quota.`, 'QuotaExceededError');
    }
    this.items.set(key, value);
  }

  removeItem(key: string): void {
    this.items.delete(key);
  }
}

function sampleWork(): SavedWork {
  return {
    config: loadConfig({ task: 'add', seed: 11, rft: { beta: 0.05 }, grader: { type: 'js', source: 'return sample.output_text === item.reference ? 1 : 0;' } }),
    lanes: { rft: true, dpo: false, sft: true },
    graderCode: '// my draft\nreturn 1;',
    imported: [{ name: 'train, "v2".jsonl', text: '{"messages":[{"role":"user","content":"ab"}]}\n' }],
  };
}

describe('saving and loading work', () => {
  it('round-trips config, lanes, grader code and imported data under a versioned key', () => {
    const storage = new FakeStorage();
    const store = new WorkStore(storage);
    const work = sampleWork();
    expect(store.save(work)).toMatchObject({ ok: true, message: null });
    expect(WORK_KEY).toMatch(/v1$/);
    expect(JSON.parse(storage.items.get(WORK_KEY)!).version).toBe(WORK_VERSION);
    expect(loadWork(new WorkStore(storage))).toEqual({ status: 'loaded', work, problems: [] });
  });

  it('the user\'s own code, markup-like text and task files load without consent (they are theirs, from this device)', () => {
    const storage = new FakeStorage();
    const work: SavedWork = {
      ...defaultWork(),
      config: loadConfig({ task: { sft_file: 'mine.jsonl' }, grader: { type: 'string_check', reference: '<b>bold</b>' } }),
    };
    new WorkStore(storage).save(work);
    expect(loadWork(new WorkStore(storage))).toEqual({ status: 'loaded', work, problems: [] });
  });

  it('nothing saved yet is "empty"', () => {
    expect(loadWork(new WorkStore(new FakeStorage()))).toEqual({ status: 'empty' });
  });

  it('reading and validating can happen apart (read on the main thread, validate in the worker)', () => {
    const storage = new FakeStorage();
    new WorkStore(storage).save(sampleWork());
    const read = new WorkStore(storage).read();
    expect(read.status).toBe('read');
    const posted = structuredClone(read);
    expect(fromRead(posted)).toEqual({ status: 'loaded', work: sampleWork(), problems: [] });
  });

  it('bad fields are dropped one by one, each named; the rest loads', () => {
    const storage = new FakeStorage();
    storage.items.set(
      WORK_KEY,
      JSON.stringify({
        version: 1,
        config: { seed: 5, temperature: -3, task: 'nope', rft: { beta: 0.2, __proto__x: 1 } },
        lanes: { dpo: false, sft: 'off' },
        graderCode: 42,
        imported: [{ name: 'a.jsonl', text: 'x' }, { name: 3 }],
        extra: true,
      }),
    );
    const r = loadWork(new WorkStore(storage));
    expect(r.status).toBe('loaded');
    if (r.status !== 'loaded') return;
    expect(r.work.config).toEqual(loadConfig({ seed: 5, rft: { beta: 0.2 } }));
    expect(r.work.lanes).toEqual({ rft: true, dpo: false, sft: true });
    expect(r.work.graderCode).toBeNull();
    expect(r.work.imported).toEqual([{ name: 'a.jsonl', text: 'x' }]);
    expect(r.problems).toEqual([
      'saved.extra: unknown field (allowed: config, lanes, graderCode, imported)',
      expect.stringMatching(/^config\.rft\.__proto__x: unknown field/),
      expect.stringMatching(/^config\.task = "nope": unknown task/),
      'config.temperature = -3: must be >= 0.05',
      'saved.lanes.sft = "off": must be a boolean, not a string',
      'saved.graderCode = 42: must be a string or null, not a number',
      'saved.imported.1: must be {name, text} with two strings',
    ]);
  });

  it('prototype-pollution keys in storage are refused', () => {
    const storage = new FakeStorage();
    storage.items.set(WORK_KEY, '{"version":1,"__proto__":{"polluted":1},"config":{"constructor":{"prototype":{"polluted":2}}},"lanes":{"__proto__":{"rft":false}}}');
    const r = loadWork(new WorkStore(storage));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(r).toEqual({
      status: 'loaded',
      work: defaultWork(),
      problems: ['saved.__proto__: the key "__proto__" is not allowed', 'config.constructor: the key "constructor" is not allowed', 'saved.lanes.__proto__: the key "__proto__" is not allowed'],
    });
  });

  it('corrupt JSON: a message, never a throw, and the entry is set aside rather than lost', () => {
    const storage = new FakeStorage();
    storage.items.set(WORK_KEY, '{"version":1,"config":{"se');
    const r = loadWork(new WorkStore(storage));
    expect(r).toEqual({ status: 'failed', message: expect.stringMatching(/^Could not load your saved work: the saved work is not valid JSON .*kept under "rft-playground\/work\/v1\/unreadable"/) });
    expect(storage.items.get(UNREADABLE_KEY)).toBe('{"version":1,"config":{"se');
    expect(storage.items.has(WORK_KEY)).toBe(false);
    for (const text of ['[]', '"text"', '{"version":0}', '{}']) {
      storage.items.set(WORK_KEY, text);
      expect(loadWork(new WorkStore(storage)).status).toBe('failed');
      expect(storage.items.get(UNREADABLE_KEY)).toBe(text);
    }
  });

  it('work saved by a newer page is left untouched', () => {
    const storage = new FakeStorage();
    const newer = JSON.stringify({ version: WORK_VERSION + 1, config: { something: 'new' } });
    storage.items.set(WORK_KEY, newer);
    expect(loadWork(new WorkStore(storage))).toEqual({ status: 'failed', message: expect.stringMatching(/newer version of the playground \(format 2\); it is left untouched/) });
    expect(storage.items.get(WORK_KEY)).toBe(newer);
  });

  it('storage full: the imported data is left out and the rest saved, with a message', () => {
    const work = sampleWork();
    work.imported = [{ name: 'big.jsonl', text: 'x'.repeat(20_000) }];
    const storage = new FakeStorage(5_000);
    const r = new WorkStore(storage).save(work);
    expect(r).toEqual({ ok: true, bytes: expect.any(Number), message: expect.stringMatching(/^Saved the knobs and grader code, but not the imported data \(39 KB\): browser storage is full/) });
    expect(loadWork(new WorkStore(storage))).toEqual({ status: 'loaded', work: { ...work, imported: [] }, problems: [] });
  });

  it('storage full even without the data: a message, and the previous save survives', () => {
    const storage = new FakeStorage(3_000);
    const store = new WorkStore(storage);
    expect(store.save(defaultWork()).ok).toBe(true);
    const before = storage.items.get(WORK_KEY);
    const huge = { ...sampleWork(), graderCode: 'y'.repeat(10_000), imported: [] };
    expect(store.save(huge)).toEqual({ ok: false, message: expect.stringMatching(/^Not saved: browser storage is full \(this work needs \d+ KB\)\. Export the config to keep it\.$/) });
    expect(storage.items.get(WORK_KEY)).toBe(before);
  });

  it('other write errors and read errors are messages', () => {
    const storage = new FakeStorage();
    storage.failWritesWith = new DOMException('denied', 'InvalidStateError');
    expect(new WorkStore(storage).save(defaultWork())).toEqual({ ok: false, message: 'Not saved: the browser refused (InvalidStateError).' });
    storage.failReads = true;
    expect(loadWork(new WorkStore(storage))).toEqual({ status: 'failed', message: 'Nothing loaded: the browser refused to read storage (SecurityError).' });
  });

  it('reset deletes the saved work and only that', () => {
    const storage = new FakeStorage();
    storage.items.set('other-app', 'keep me');
    const store = new WorkStore(storage);
    store.save(sampleWork());
    expect(store.reset()).toEqual({ ok: true });
    expect(loadWork(store)).toEqual({ status: 'empty' });
    expect(storage.items.get('other-app')).toBe('keep me');
  });
});

describe('finding the browser storage', () => {
  it('site data blocked: reading localStorage throws, and that is a reason, not a crash', () => {
    const scope = {
      get localStorage(): Storage {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    };
    const opened = openBrowserStorage(scope);
    expect(opened).toEqual({ storage: null, reason: expect.stringContaining('(SecurityError)') });
    const store = new WorkStore(opened.storage, opened.storage ? undefined : opened.reason);
    expect(store.available).toBe(false);
    expect(store.save(defaultWork())).toEqual({ ok: false, message: expect.stringMatching(/^Not saved: this browser does not let the page store anything \(SecurityError\)/) });
    expect(loadWork(store).status).toBe('failed');
  });

  it('a private mode that refuses every write is found by a probe', () => {
    const refusing = new FakeStorage(0);
    const opened = openBrowserStorage({ localStorage: refusing as unknown as Storage });
    expect(opened).toEqual({ storage: null, reason: expect.stringContaining('(QuotaExceededError)') });
    expect(refusing.items.size).toBe(0);
  });

  it('no storage at all, and working storage', () => {
    expect(openBrowserStorage({}).storage).toBeNull();
    const fine = new FakeStorage();
    expect(openBrowserStorage({ localStorage: fine as unknown as Storage }).storage).toBe(fine);
    expect(fine.items.size).toBe(0);
  });

  it('quota errors are recognised across browsers', () => {
    expect(isQuotaError(new DOMException('x', 'QuotaExceededError'))).toBe(true);
    expect(isQuotaError({ name: 'NS_ERROR_DOM_QUOTA_REACHED', code: 1014 })).toBe(true);
    expect(isQuotaError({ name: 'Error', code: 22 })).toBe(true);
    expect(isQuotaError(new DOMException('x', 'SecurityError'))).toBe(false);
    expect(isQuotaError(null)).toBe(false);
  });

  it('defaults are the engine defaults', () => {
    expect(defaultWork()).toEqual({ config: defaultConfig(), lanes: { rft: true, dpo: true, sft: true }, graderCode: null, imported: [] });
  });
});
