/**
 * The classroom layer's decisions without a browser: the real link codec and
 * saved-work validation (the worker's share service) behind a fake client, a
 * fake playground that records what it was asked to build, and a fake window
 * with its own storage, address bar and clipboard.
 */
import { describe, expect, it, vi } from 'vitest';
import LZString from 'lz-string';
import { defaultConfig, type Config } from '../../../src/engine/config.ts';
import { decodeShareHash, encodeShareHash } from '../../../src/share/hash-codec.ts';
import { defaultLanes, defaultTeacher, HIDE_ID_PATTERN, type ShareState } from '../../../src/share/run-state.ts';
import { WORK_KEY } from '../../../src/share/storage.ts';
import { Classroom } from '../../../src/ui/classroom/classroom.svelte.ts';
import { HIDE_IDS, HIDE_TARGETS, hideCss } from '../../../src/ui/classroom/hide-targets.ts';
import type { Playground } from '../../../src/ui/playground.svelte.ts';
import type { TrainingClient } from '../../../src/worker/client.ts';
import type { ImportedFile, RunDefinition } from '../../../src/worker/protocol.ts';
import { shareService } from '../../../src/worker/share-service.ts';

class MemoryStorage {
  items = new Map<string, string>();
  failWith: Error | null = null;
  getItem(k: string): string | null {
    return this.items.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    if (this.failWith) throw this.failWith;
    this.items.set(k, v);
  }
  removeItem(k: string): void {
    this.items.delete(k);
  }
}

function fakeWindow(hash = '', storage: MemoryStorage | 'blocked' = new MemoryStorage()) {
  const win = {
    location: { hash, pathname: '/', search: '', href: `https://example.org/${hash ? '#' + hash : ''}`, reload: vi.fn() },
    history: { state: null, replaceState: vi.fn((_s: unknown, _t: string, url: string) => ((win.location.hash = ''), (win.location.href = 'https://example.org' + url))) },
    navigator: { clipboard: { writeText: vi.fn(async (_text: string) => undefined) } },
    confirm: vi.fn(() => true),
  };
  if (storage === 'blocked') {
    Object.defineProperty(win, 'localStorage', {
      get() {
        throw Object.assign(new Error('blocked'), { name: 'SecurityError' });
      },
    });
  } else Object.assign(win, { localStorage: storage });
  return win;
}

function fakePlayground() {
  const defaults: RunDefinition = { config: defaultConfig(), lanes: defaultLanes() };
  const pg = {
    definition: null as RunDefinition | null,
    defaults,
    ownSetup: null as { definition: RunDefinition; by: string } | null,
    customGraderCode: null as string | null,
    importedFiles: [] as ImportedFile[],
    importErrors: [] as string[],
    history: { toJSON: () => ({ rft: [], dpo: [], sft: [] }) },
    ghosts: [] as { label: string; hidden: boolean; definition: RunDefinition }[],
    started: [] as (RunDefinition | undefined)[],
    /** Every call in order, to check that nothing trains before the link is in place. */
    calls: [] as string[],
    async start(initial?: RunDefinition) {
      pg.calls.push('start');
      pg.started.push(initial);
      pg.definition = initial ?? defaults;
      return [];
    },
    async apply(def: RunDefinition) {
      pg.calls.push('apply');
      pg.definition = def;
    },
    async reset() {
      pg.calls.push('reset');
    },
    async togglePlay() {
      pg.calls.push('play');
    },
    async importFiles(files: ImportedFile[]) {
      pg.calls.push('import');
      pg.importedFiles = files;
    },
  };
  return pg;
}

const client = { ...shareService, exportTaskData: async () => ({ ok: false as const, error: 'not here' }) } as unknown as TrainingClient;

function make(hash = '', storage?: MemoryStorage | 'blocked') {
  const win = fakeWindow(hash, storage);
  const pg = fakePlayground();
  const classroom = new Classroom(pg as unknown as Playground, client, win as unknown as Window);
  return { win, pg, classroom };
}

function link(config: Partial<Config>, teacher: Partial<ShareState['teacher']> = {}): string {
  return encodeShareHash({ config: { ...defaultConfig(), ...config }, lanes: defaultLanes(), teacher: { ...defaultTeacher(), ...teacher } });
}

describe('Classroom.open', () => {
  it('builds the first run from the link (before any step), then trains; the link leaves the address bar', async () => {
    const { win, pg, classroom } = make(link({ seed: 42, temperature: 0.5 }, { presentation: true, reveal: true }));
    await classroom.open();
    expect(pg.calls).toEqual(['start', 'play']);
    expect(pg.started[0]?.config.seed).toBe(42);
    expect(pg.started[0]?.config.temperature).toBe(0.5);
    expect(classroom.presentation).toBe(true);
    expect(classroom.covered).toBe(true);
    expect(classroom.notice).toBeNull();
    expect(win.history.replaceState).toHaveBeenCalledWith(null, '', '/');
    // Saved at once, so a reload opens what the link opened.
    const saved = JSON.parse((win as unknown as { localStorage: MemoryStorage }).localStorage.getItem(WORK_KEY)!);
    expect(saved.config.seed).toBe(42);
  });

  it('opens paused when the teacher asks', async () => {
    const { pg, classroom } = make(link({ seed: 3 }, { paused: true }));
    await classroom.open();
    expect(pg.calls).toEqual(['start']);
  });

  it('keeps the valid fields of a hostile link, names every refused one and starts nothing it carried', async () => {
    const hostile = 'v1=' + LZString.compressToEncodedURIComponent(JSON.stringify({ config: { temperature: 0.7, task: '<img src=x onerror=alert(1)>', rft: { epsilon: -1 } }, lanes: { dpo: false }, teacher: { hide: ['nope-not-a-panel'] } }));
    const { pg, classroom } = make(hostile);
    await classroom.open();
    expect(pg.started[0]?.config.temperature).toBe(0.7);
    expect(pg.started[0]?.config.task).toBe(defaultConfig().task);
    expect(pg.started[0]?.config.rft.epsilon).toBe(defaultConfig().rft.epsilon);
    expect(pg.started[0]?.lanes.dpo).toBe(false);
    expect(classroom.notice?.kind).toBe('error');
    const lines = classroom.notice!.lines.join('\n');
    expect(lines).toMatch(/^config\.task: /m);
    expect(lines).toMatch(/^config\.rft\.epsilon = -1: /m);
    expect(lines).toMatch(/^teacher\.hide\.0 = "nope-not-a-panel"/m);
    expect(classroom.teacher.hide).toEqual([]);
  });

  it('ignores a hash that is not a share link (an in-page anchor)', async () => {
    const { win, pg, classroom } = make('main');
    await classroom.open();
    expect(pg.started[0]).toBeUndefined();
    expect(classroom.notice).toBeNull();
    expect(win.history.replaceState).not.toHaveBeenCalled();
  });

  it('holds grader code back until the user agrees, and keeps the default grader if they decline', async () => {
    const source = 'function grade(sample) { return sample.output_text.length ? 1 : 0; }';
    const hash = link({ seed: 8, grader: { type: 'js', name: 'custom', source } });
    const declined = make(hash);
    await declined.classroom.open();
    expect(declined.pg.started[0]?.config.grader).toBeNull();
    expect(declined.pg.started[0]?.config.seed).toBe(8);
    expect(declined.classroom.consent?.pending[0].code[0].code).toBe(source);
    expect(declined.pg.calls).toEqual(['start']); // not playing while the question is open
    await declined.classroom.declineCode();
    expect(declined.classroom.consent).toBeNull();
    expect(declined.pg.definition?.config.grader).toBeNull();
    expect(declined.pg.calls).toEqual(['start', 'play']);

    const agreed = make(hash);
    await agreed.classroom.open();
    await agreed.classroom.acceptCode();
    expect(agreed.pg.definition?.config.grader).toEqual({ type: 'js', name: 'custom', source });
    expect(agreed.pg.calls).toEqual(['start', 'apply', 'reset', 'play']);
  });
});

describe('saved work', () => {
  it('survives a reload: the saved knobs and lanes are what the next page builds', async () => {
    const storage = new MemoryStorage();
    const first = make('', storage);
    await first.classroom.open();
    first.pg.definition = { config: { ...defaultConfig(), temperature: 1.3, seed: 77 }, lanes: { rft: true, dpo: false, sft: true } };
    first.classroom.save();
    const second = make('', storage);
    await second.classroom.open();
    expect(second.pg.started[0]?.config.temperature).toBe(1.3);
    expect(second.pg.started[0]?.config.seed).toBe(77);
    expect(second.pg.started[0]?.lanes.dpo).toBe(false);
  });

  it('a saved run on imported data imports the saved files again before building it', async () => {
    const storage = new MemoryStorage();
    const files = [{ name: 'sft.jsonl', text: '{"messages":[{"role":"user","content":"ab"},{"role":"assistant","content":"ba"}]}\n' }];
    storage.setItem(WORK_KEY, JSON.stringify({ version: 1, config: { task: { sft_file: 'sft.jsonl' }, seed: 9 }, lanes: defaultLanes(), graderCode: null, imported: files }));
    const { pg, classroom } = make('', storage);
    await classroom.open();
    // Started on the defaults (the files are not in the worker yet), then import, then the saved run.
    expect(pg.started).toEqual([undefined]);
    expect(pg.calls).toEqual(['start', 'import', 'apply', 'reset']);
    expect(pg.importedFiles).toEqual(files);
    expect(pg.definition?.config.task).toEqual({ sft_file: 'sft.jsonl' });
    expect(pg.definition?.config.seed).toBe(9);
  });

  it('reports a damaged field of the saved work and keeps the rest', async () => {
    const storage = new MemoryStorage();
    storage.setItem(WORK_KEY, JSON.stringify({ version: 1, config: { seed: 5, temperature: 'hot' }, lanes: { rft: true, dpo: true, sft: false } }));
    const { pg, classroom } = make('', storage);
    await classroom.open();
    expect(pg.started[0]?.config.seed).toBe(5);
    expect(pg.started[0]?.config.temperature).toBe(defaultConfig().temperature);
    expect(classroom.notice?.lines.join('\n')).toMatch(/config\.temperature = "hot"/);
  });

  it('storage switched off: a message, the page still opens, saving says why it did not', async () => {
    const { pg, classroom } = make('', 'blocked');
    await classroom.open();
    expect(pg.calls).toEqual(['start']);
    expect(classroom.notice?.title).toMatch(/will not be saved.*SecurityError/);
    classroom.save();
    expect(classroom.saveProblem).toMatch(/^Not saved: /);
  });

  it('storage full: the save reports it and nothing throws', async () => {
    const storage = new MemoryStorage();
    const { classroom } = make('', storage);
    await classroom.open();
    storage.failWith = Object.assign(new Error('full'), { name: 'QuotaExceededError' });
    expect(() => classroom.save()).not.toThrow();
    expect(classroom.saveProblem).toMatch(/storage is full/);
  });

  it('"Restore defaults" with nothing of the student\'s to keep deletes the saved work and reloads', async () => {
    const storage = new MemoryStorage();
    const { win, classroom } = make('', storage);
    await classroom.open();
    expect(storage.getItem(WORK_KEY)).not.toBeNull();
    classroom.restoreDefaults({ deleteImported: false, deleteGraderCode: false });
    expect(storage.getItem(WORK_KEY)).toBeNull();
    expect(win.location.reload).toHaveBeenCalledOnce();
    expect(win.confirm).not.toHaveBeenCalled();
  });

  it('"Restore defaults" keeps imported data (and its task) and custom grader code unless ticked', async () => {
    const storage = new MemoryStorage();
    const files = [{ name: 'sft.jsonl', text: '{"messages":[{"role":"user","content":"ab"},{"role":"assistant","content":"ba"}]}\n' }];
    const task = { sft_file: 'sft.jsonl' };
    const source = 'function grade(sample, item) { return 1; }';
    const setUp = async () => {
      const made = make('', storage);
      await made.classroom.open();
      made.pg.importedFiles = files;
      made.pg.definition = { config: { ...defaultConfig(), task, seed: 9, grader: { type: 'js', source } }, lanes: { rft: false, dpo: false, sft: true } };
      return made;
    };
    const saved = () => JSON.parse(storage.getItem(WORK_KEY)!);

    const keep = await setUp();
    keep.classroom.restoreDefaults({ deleteImported: false, deleteGraderCode: false });
    expect(keep.win.location.reload).toHaveBeenCalledOnce();
    expect(saved().config).toEqual({ ...defaultConfig(), task });
    expect(saved().lanes).toEqual(defaultLanes());
    expect(saved().imported).toEqual(files);
    expect(saved().graderCode).toBe(source);

    const dropData = await setUp();
    dropData.classroom.restoreDefaults({ deleteImported: true, deleteGraderCode: false });
    expect(saved().config).toEqual(defaultConfig());
    expect(saved().imported).toEqual([]);
    expect(saved().graderCode).toBe(source);

    const dropCode = await setUp();
    dropCode.classroom.restoreDefaults({ deleteImported: false, deleteGraderCode: true });
    expect(saved().imported).toEqual(files);
    expect(saved().graderCode).toBeNull();

    const dropBoth = await setUp();
    dropBoth.classroom.restoreDefaults({ deleteImported: true, deleteGraderCode: true });
    expect(storage.getItem(WORK_KEY)).toBeNull();
  });

  it('saved grader code that is not applied comes back into the editor after a reload', async () => {
    const storage = new MemoryStorage();
    const first = make('', storage);
    await first.classroom.open();
    first.pg.customGraderCode = 'function grade() { return 0.5; }';
    first.classroom.save();
    const second = make('', storage);
    await second.classroom.open();
    expect(second.pg.customGraderCode).toBe('function grade() { return 0.5; }');
    expect(second.pg.definition?.config.grader).toBeNull();
  });
});

describe('share link', () => {
  it('carries the run and the teacher options, and decodes to exactly them', async () => {
    const { win, pg, classroom } = make();
    await classroom.open();
    pg.definition = { config: { ...defaultConfig(), seed: 31, steps: 120, rft: { ...defaultConfig().rft, epsilon: 0.3 } }, lanes: { rft: true, dpo: false, sft: true } };
    classroom.linkTeacher = { ...defaultTeacher(), paused: true, hide: ['grader-panel', 'speed'] };
    await classroom.makeShareLink();
    const url = classroom.share!.url;
    expect(url.startsWith('https://example.org/#v1=')).toBe(true);
    expect(classroom.share!.copied).toBe(true);
    expect(win.navigator.clipboard.writeText).toHaveBeenCalledWith(url);
    const back = decodeShareHash(url.slice(url.indexOf('#')), { hideIds: HIDE_IDS });
    expect(back.problems).toEqual([]);
    expect(back.state.config).toEqual(pg.definition.config);
    expect(back.state.lanes).toEqual(pg.definition.lanes);
    expect(back.state.teacher).toEqual(classroom.linkTeacher);
  });

  it('shows the link to copy by hand when the clipboard refuses', async () => {
    const { win, classroom } = make();
    await classroom.open();
    win.navigator.clipboard.writeText.mockRejectedValueOnce(new Error('NotAllowedError'));
    await classroom.makeShareLink();
    expect(classroom.share?.copied).toBe(false);
    expect(classroom.share?.url).toMatch(/#v1=/);
  });
});

describe('hide targets', () => {
  it('every id is one a link may carry, and the codec refuses ids the page does not have', () => {
    for (const id of HIDE_IDS) expect(id).toMatch(HIDE_ID_PATTERN);
    expect(new Set(HIDE_IDS).size).toBe(HIDE_IDS.length);
    const d = decodeShareHash('v1=' + LZString.compressToEncodedURIComponent(JSON.stringify({ teacher: { hide: ['speed', 'everything'] } })), { hideIds: HIDE_IDS });
    expect(d.state.teacher.hide).toEqual(['speed']);
    expect(d.problems).toHaveLength(1);
  });

  it('builds the style sheet only from the page’s own selectors', () => {
    expect(hideCss([])).toBe('');
    const css = hideCss(['speed', 'lane-dpo', '} body { display:none']);
    // In the page's order; the made-up id contributes nothing.
    expect(css).toBe(`${HIDE_TARGETS.find((t) => t.id === 'lane-dpo')!.selector},\n${HIDE_TARGETS.find((t) => t.id === 'speed')!.selector} { display: none !important; }\n`);
  });
});
