/**
 * The training worker: three lanes, their backends (and GPU devices), the
 * graders and imported data live here; the page only renders what this posts.
 * The API is the TrainingSession, exposed by src/worker/rpc.ts (comlink's wire format).
 */
import { expose, transfer } from './rpc.ts';
import type { WorkerEvent } from './protocol.ts';
import { TrainingSession } from './session.ts';
import { shareService } from './share-service.ts';
import { playgroundDeps } from './session-deps.ts';

const session: TrainingSession = new TrainingSession(playgroundDeps((message) => session.notify(message)));

/** The worker's API as the page sees it (methods of the session; events go out through the port the page hands over). */
const api = {
  start: (events: MessagePort) => session.start((e: WorkerEvent) => events.postMessage(e)),
  reset: session.reset.bind(session),
  update: session.update.bind(session),
  importData: session.importData.bind(session),
  setSpeed: session.setSpeed.bind(session),
  selectPrompt: session.selectPrompt.bind(session),
  play: session.play.bind(session),
  pause: session.pause.bind(session),
  stepOnce: session.stepOnce.bind(session),
  explainStep: session.explainStep.bind(session),
  sampleAnswers: session.sampleAnswers.bind(session),
  rerun: session.rerun.bind(session),
  gradeAnswer: session.gradeAnswer.bind(session),
  checkGrader: session.checkGrader.bind(session),
  progress: session.progress.bind(session),
  exportTaskData: session.exportTaskData.bind(session),
  exportRealRun: async (format: 'openai' | 'trl') => {
    const r = await session.exportRealRun(format);
    return r.ok ? transfer(r, [r.zip.buffer]) : r;
  },
  // Link codec and saved-work validation: here, so zod stays off the page's main thread.
  ...shareService,
};
export type TrainingApi = typeof api;

expose(api);
