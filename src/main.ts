/** Entry point: starts the training worker and mounts the page. */
import { mount } from 'svelte';
import App from './ui/App.svelte';
import { Playground } from './ui/playground.svelte.ts';
import { installDebugHook } from './ui/debug-hook.ts';
import { startTrainingWorker } from './worker/client.ts';
import './ui/global.css';

const { client } = startTrainingWorker();
const pg = new Playground(client);
const target = document.getElementById('app')!;
target.replaceChildren();
mount(App, { target, props: { pg } });
installDebugHook(pg);
pg.start().catch((e: unknown) => {
  pg.banner = { kind: 'error', text: `The training worker could not start: ${(e as Error).message ?? e}` };
});
