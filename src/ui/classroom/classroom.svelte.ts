/**
 * The page as a classroom tool: opening a share link or the saved work before
 * the first step, consent for grader code, saving edits, "reset to defaults",
 * share links with teacher options, exports, presentation and the reveal
 * cover. The decoding and validation run in the worker (they need the
 * engine's schema); this class only moves plain data and talks to the DOM
 * through text, never HTML.
 */
import { OPEN_LESSON_EVENT } from '../lessons/lesson-link.ts';
import { configToJson, downloadName, metricsToCsv, metricsToJson, MIME_TYPES, type DownloadKind, type GhostMetrics } from '../../share/export.ts';
import { defaultTeacher, LANE_IDS, type ShareState, type TeacherOptions } from '../../share/run-state.ts';
import type { SavedWork } from '../../share/saved-work.ts';
import { openBrowserStorage, WorkStore } from '../../share/storage.ts';
import type { PendingCode } from '../../share/validate-run.ts';
import type { TrainingClient } from '../../worker/client.ts';
import type { ImportedFile, LaneId, LaneRecord, RunDefinition } from '../../worker/protocol.ts';
import type { Playground } from '../playground.svelte.ts';
import { chartCanvases, chartHasData, chartsSheetPng, downloadBlob, downloadText } from './downloads.ts';
import { HIDE_IDS } from './hide-targets.ts';

export interface Notice {
  kind: 'error' | 'info';
  /** One sentence; `lines` (each a field's problem) follow as a list. Shown as text only. */
  title: string;
  lines: string[];
}

export interface ConsentRequest {
  /** The link's state without the code graders (what runs if the user declines). */
  state: ShareState;
  pending: PendingCode[];
}

export interface ShareResult {
  url: string;
  notes: string[];
  /** null while copying; false when the clipboard refused (the link is shown to copy by hand). */
  copied: boolean | null;
}

/** Saving waits this long after the last change, so dragging a slider writes once. */
const SAVE_DELAY_MS = 400;

/** Browsers may drop or merge downloads started in the same instant (Chromium lost one of eight); a short gap keeps each. */
const spaceDownloads = () => new Promise<void>((resolve) => setTimeout(resolve, 250));

export class Classroom {
  /** The teacher options this page was opened with (from a link). */
  teacher = $state.raw<TeacherOptions>(defaultTeacher());
  /** Results are covered until someone presses Reveal (teacher option `reveal`). */
  covered = $state(false);
  presentation = $state(false);
  helpOpen = $state(false);
  notice = $state.raw<Notice | null>(null);
  consent = $state.raw<ConsentRequest | null>(null);
  share = $state.raw<ShareResult | null>(null);
  /** The teacher options put into the next share link. */
  linkTeacher = $state<TeacherOptions>(defaultTeacher());
  /** Set once the first run is built: saving before that would overwrite the saved work with the defaults. */
  ready = $state(false);
  /** Bumped when a run is loaded from outside, so panels that copy the run on creation (the grader editor) start again. */
  generation = $state(0);
  /** Why the last save failed (storage full or off); null when saved. */
  saveProblem = $state<string | null>(null);
  /** Share links name the ghosts on the charts (their settings; the page that opens the link re-runs them). */
  linkGhosts = $state(true);
  /** The "Restore defaults" dialog is open (RestoreDefaults.svelte). */
  restoreOpen = $state(false);

  private store = new WorkStore(null);
  private saveTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly pg: Playground,
    private readonly client: TrainingClient,
    private readonly win: Window = window,
  ) {}

  /** Opens the share link in the address bar, or else the saved work, then builds the first run. */
  async open(): Promise<void> {
    const opened = openBrowserStorage(this.win);
    this.store = opened.storage ? new WorkStore(opened.storage) : new WorkStore(null, opened.reason);
    const link = await this.client.decodeShare(this.win.location.hash, { hideIds: HIDE_IDS });
    let initial: RunDefinition | undefined;
    let imported: ImportedFile[] = [];
    let autoplay = false;
    let ghosts: NonNullable<ShareState['ghosts']> = [];
    if (link.isShareLink) {
      ghosts = link.state.ghosts ?? [];
      this.applyTeacher(link.state.teacher);
      initial = { config: link.state.config, lanes: link.state.lanes };
      if (link.problems.length) this.notice = { kind: 'error', title: 'Some parts of this link were not used (the defaults apply there):', lines: link.problems };
      if (link.needsConsent) this.consent = { state: link.state, pending: link.pendingCode };
      autoplay = !link.state.teacher.paused && !link.needsConsent;
      // The link has been read; a reload should open the user's saved edits, not the link again.
      this.win.history.replaceState(this.win.history.state, '', this.win.location.pathname + this.win.location.search);
    } else {
      const loaded = await this.client.loadSaved(this.store.read());
      if (loaded.status === 'loaded') {
        initial = { config: loaded.work.config, lanes: loaded.work.lanes };
        imported = loaded.work.imported;
        // The editor's code, applied or not: choosing Custom JavaScript brings it back (it may outlive a restore of the defaults).
        if (loaded.work.graderCode !== null) this.pg.customGraderCode = loaded.work.graderCode;
        if (loaded.problems.length) this.notice = { kind: 'error', title: 'Parts of your saved work could not be used (the defaults apply there):', lines: loaded.problems };
      } else if (loaded.status === 'failed') {
        this.notice = { kind: 'error', title: loaded.message, lines: [] };
      }
      if (!opened.storage) this.notice = { kind: 'info', title: `Your edits will not be saved: ${opened.reason}.`, lines: [] };
    }
    // A run on imported data needs its files in the worker before it can be built.
    const needsFiles = initial !== undefined && typeof initial.config.task !== 'string';
    const refused = await this.pg.start(needsFiles ? undefined : initial);
    if (needsFiles && initial) await this.restoreImported(initial, imported);
    else if (imported.length) this.pg.importedFiles = imported;
    if (refused.length) this.notice = { kind: 'error', title: 'The saved or linked run could not be built; the defaults are open:', lines: refused };
    // The link's ghosts are its settings, not its curves: train each again (headless, full speed) to draw it.
    if (ghosts.length) {
      const failed = await this.pg.rebuildGhosts(ghosts.map((g) => ({ label: g.label, definition: { config: g.config, lanes: g.lanes } })));
      if (failed.length) {
        const lines = [...(this.notice?.kind === 'error' ? this.notice.lines : []), ...failed];
        this.notice = { kind: 'error', title: 'Some parts of this link were not used (the defaults apply there):', lines };
      }
    }
    this.generation++;
    this.ready = true;
    this.save();
    // A teacher's link to a lesson opens it over the run the link carries (the page is mounted by now).
    if (this.teacher.lesson) {
      this.win.dispatchEvent(new CustomEvent(OPEN_LESSON_EVENT, { detail: { lesson: this.teacher.lesson, loadPreset: false } }));
    }
    if (autoplay) await this.pg.togglePlay();
  }

  private async restoreImported(def: RunDefinition, files: ImportedFile[]): Promise<void> {
    if (!files.length) {
      this.notice = { kind: 'error', title: 'The saved run used imported data that is not saved here; import the files again.', lines: [] };
      return;
    }
    await this.pg.importFiles(files);
    if (this.pg.importErrors.length) {
      this.notice = { kind: 'error', title: 'Your saved data files could not be imported again:', lines: this.pg.importErrors };
      return;
    }
    await this.pg.apply(def);
    await this.pg.reset();
  }

  private applyTeacher(t: TeacherOptions): void {
    this.teacher = t;
    this.covered = t.reveal;
    this.presentation = t.presentation;
  }

  /** The user agreed to run the link's grader code. */
  async acceptCode(): Promise<void> {
    const request = this.consent;
    if (!request) return;
    this.consent = null;
    const r = await this.client.acceptShareCode(request.state, request.pending);
    if (r.problems.length) this.notice = { kind: 'error', title: 'The link’s grader could not be used; the default grader stays:', lines: r.problems };
    await this.pg.apply({ config: r.state.config, lanes: r.state.lanes });
    await this.pg.reset();
    this.generation++;
    if (!this.teacher.paused) await this.pg.togglePlay();
  }

  /** The user declined: the default grader stays and nothing from the code runs. */
  async declineCode(): Promise<void> {
    if (!this.consent) return;
    this.consent = null;
    this.notice = { kind: 'info', title: 'The link’s grader code was not run; the task’s own grader is used.', lines: [] };
    if (!this.teacher.paused) await this.pg.togglePlay();
  }

  /** The work as saved: the grader code is the applied custom grader's source, if any. */
  private work(): SavedWork | null {
    // While a lesson or the guided run has borrowed the playground, the user's own run is what is saved.
    const def = this.pg.ownSetup?.definition ?? this.pg.definition;
    if (!def) return null;
    return { config: def.config, lanes: def.lanes, graderCode: this.customGraderCode(), imported: this.pg.importedFiles };
  }

  /** The custom grader code to keep: the applied custom grader's, else the last one typed in the editor. */
  customGraderCode(): string | null {
    const grader = (this.pg.ownSetup?.definition ?? this.pg.definition)?.config.grader;
    if (grader && grader.type === 'js' && typeof grader.source === 'string') return grader.source;
    return this.pg.customGraderCode;
  }

  /** Saves now (first call after `open`) or after a short quiet time. */
  save(delayed = false): void {
    clearTimeout(this.saveTimer);
    if (!this.ready) return;
    const write = () => {
      const work = this.work();
      if (!work) return;
      const r = this.store.save(work);
      this.saveProblem = r.message;
    };
    if (delayed) this.saveTimer = setTimeout(write, SAVE_DELAY_MS);
    else write();
  }

  /**
   * "Restore defaults" (asked first in RestoreDefaults.svelte): the knobs, task, grader choice and lanes go
   * back to the defaults and the page reloads. Imported data and custom grader code stay saved unless the
   * student chose to delete them; kept data keeps the run on the imported task, kept code waits in the editor.
   */
  restoreDefaults(choice: { deleteImported: boolean; deleteGraderCode: boolean }): void {
    const defaults = this.pg.defaults;
    const own = this.pg.ownSetup?.definition ?? this.pg.definition;
    const imported = choice.deleteImported ? [] : this.pg.importedFiles;
    const graderCode = choice.deleteGraderCode ? null : this.customGraderCode();
    clearTimeout(this.saveTimer);
    this.ready = false;
    let r: { ok: true } | { ok: false; message: string };
    if ((!imported.length && graderCode === null) || !defaults) r = this.store.reset();
    else {
      const task = imported.length && own && typeof own.config.task !== 'string' ? own.config.task : defaults.config.task;
      const saved = this.store.save({ config: { ...defaults.config, task }, lanes: defaults.lanes, graderCode, imported });
      r = saved.ok && saved.message === null ? { ok: true } : { ok: false, message: saved.message ?? 'Not saved.' };
    }
    if (!r.ok) {
      this.notice = { kind: 'error', title: r.message, lines: [] };
      this.ready = true;
      this.restoreOpen = false;
      return;
    }
    this.win.location.reload();
  }

  async makeShareLink(): Promise<void> {
    const def = this.pg.definition;
    if (!def) return;
    // The ghosts on the charts travel as their settings (hidden ones stay out, as they are out of the charts).
    const ghosts = this.linkGhosts ? this.pg.ghosts.filter((g) => !g.hidden).map((g) => ({ label: g.label, config: g.definition.config, lanes: g.definition.lanes })) : [];
    const link = await this.client.shareLink(this.win.location.href, { config: def.config, lanes: def.lanes, teacher: $state.snapshot(this.linkTeacher), ...(ghosts.length ? { ghosts } : {}) });
    this.share = { ...link, copied: null };
    let copied = false;
    try {
      await this.win.navigator.clipboard.writeText(link.url);
      copied = true;
    } catch {
      // No permission or no clipboard (http, some browsers): the link is shown selected to copy by hand.
    }
    if (this.share?.url === link.url) this.share = { ...this.share, copied };
  }

  reveal(): void {
    this.covered = false;
  }

  private metrics(): Partial<Record<LaneId, LaneRecord[]>> {
    const all = this.pg.history.toJSON();
    const out: Partial<Record<LaneId, LaneRecord[]>> = {};
    for (const id of LANE_IDS) if (all[id]?.length) out[id] = all[id];
    return out;
  }

  private fileName(kind: DownloadKind, detail?: string): string {
    return downloadName(kind, { task: this.pg.definition?.config.task ?? 'untitled', date: new Date(), detail });
  }

  /** The ghosts on the page (hidden ones too: they are still the student's runs), for the exports. */
  private ghostMetrics(): GhostMetrics[] {
    return this.pg.ghosts.map((g) => ({ label: g.label, config: g.definition.config, lanes: g.records }));
  }

  exportMetricsCsv(): void {
    downloadText(metricsToCsv(this.metrics(), this.ghostMetrics()), this.fileName('metrics-csv'), MIME_TYPES['metrics-csv']);
  }

  exportMetricsJson(): void {
    downloadText(metricsToJson(this.metrics(), this.pg.definition?.config, this.ghostMetrics()), this.fileName('metrics-json'), MIME_TYPES['metrics-json']);
  }

  exportConfig(): void {
    const def = this.pg.definition;
    if (def) downloadText(configToJson(def.config), this.fileName('config'), MIME_TYPES.config);
  }

  /** The charts of the lanes that are on, with something drawn, as one PNG (one download); a notice says what is in it. */
  async exportChartPngs(): Promise<void> {
    const all = chartCanvases().map((c) => c.canvas);
    const canvases = all.filter(chartHasData);
    const title = (c: HTMLCanvasElement) => c.closest('figure')?.querySelector('figcaption strong')?.textContent?.trim() ?? 'chart';
    const left = all.filter((c) => !canvases.includes(c)).map(title);
    if (!canvases.length) {
      this.notice = { kind: 'info', title: 'There is nothing to export yet: the charts are empty. Press Play or Step first.', lines: [] };
      return;
    }
    const def = this.pg.definition;
    const task = typeof def?.config.task === 'string' ? def.config.task : 'imported task';
    const heading = `RFT Playground · ${task} · step ${this.pg.progress.step} of ${this.pg.progress.steps}`;
    downloadBlob(await chartsSheetPng(canvases, heading), this.fileName('chart-png', 'charts'));
    this.notice = {
      kind: 'info',
      title: `Downloaded one image of ${canvases.length} charts${left.length ? `; left out (lane off or empty): ${left.join(', ')}` : ''}.`,
      lines: [],
    };
  }

  /** The run as an OpenAI fine-tuning job or a TRL script, one zip (built in the worker). */
  async exportRealRun(format: 'openai' | 'trl'): Promise<void> {
    const r = await this.client.exportRealRun(format);
    if (!r.ok) {
      this.notice = { kind: 'error', title: `The run could not be exported: ${r.error}`, lines: [] };
      return;
    }
    downloadBlob(new Blob([r.zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' }), `${r.folder}.zip`);
  }

  async exportTaskData(): Promise<void> {
    const r = await this.client.exportTaskData();
    if (!r.ok) {
      this.notice = { kind: 'error', title: `The task data could not be exported: ${r.error}`, lines: [] };
      return;
    }
    for (const file of r.files) {
      downloadText(file.text, this.fileName('task-jsonl', file.name.replace(/\.jsonl$/, '')), MIME_TYPES['task-jsonl']);
      await spaceDownloads();
    }
  }
}
