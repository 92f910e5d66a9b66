/** Entry point: starts the training worker and mounts the page. */
import { mount } from 'svelte';
import App from './ui/App.svelte';
import { Playground } from './ui/playground.svelte.ts';
import { Classroom } from './ui/classroom/classroom.svelte.ts';
import { installDebugHook } from './ui/debug-hook.ts';
import { startTrainingWorker } from './worker/client.ts';
import { registerServiceWorker } from './pwa/register.ts';
import './ui/global.css';

const { client } = startTrainingWorker();
const pg = new Playground(client);
const target = document.getElementById('app')!;
target.replaceChildren();
const classroom = new Classroom(pg, client);
mount(App, { target, props: { pg, classroom } });
installDebugHook(pg);
// The classroom layer opens a share link or the saved work before the first step, then starts the page.
classroom.open().catch((e: unknown) => {
  pg.banner = { kind: 'error', text: `The training worker could not start: ${(e as Error).message ?? e}` };
});
// Offline use after one visit (src/pwa/); a no-op in the dev server and the single-file build.
void registerServiceWorker();
