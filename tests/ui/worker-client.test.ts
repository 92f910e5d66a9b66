/**
 * The browser builds' worker calls (src/worker/rpc.ts) against comlink both ways, over a MessageChannel
 * as over a Worker: our `remote` to `Comlink.expose`, comlink's `wrap` to our `expose`, and ours to ours
 * (what the page, the training worker and the grading sandbox now use): calls, answers, thrown errors,
 * moved ports and buffers.
 */
import * as Comlink from 'comlink';
import { beforeEach, describe, expect, it } from 'vitest';
import { expose, remote, transfer } from '../../src/worker/rpc.ts';

const api = {
  add: (a: number, b: number) => a + b,
  slow: async (x: string) => {
    await new Promise((r) => setTimeout(r, 5));
    return { echoed: x, nested: [1, { two: 2 }] };
  },
  fail: (why: string) => {
    throw new RangeError(`no: ${why}`);
  },
  failPlain: () => Promise.reject('a plain string'),
  portOk: (port: MessagePort) => {
    port.postMessage('hello over the moved port');
    return port instanceof MessagePort;
  },
  buffer: () => {
    const bytes = new Uint8Array([1, 2, 3]);
    return mark({ bytes }, [bytes.buffer]);
  },
};

/** How the serving side marks an answer to move, per pairing. */
let mark: <T extends object>(value: T, list: Transferable[]) => T = Comlink.transfer;

type Pairing = 'our remote → Comlink.expose' | 'Comlink.wrap → our expose' | 'our remote → our expose';
let pairing: Pairing = 'our remote → Comlink.expose';

function connected() {
  const { port1, port2 } = new MessageChannel();
  if (pairing === 'our remote → Comlink.expose') Comlink.expose(api, port1);
  else expose(api, port1);
  port1.start();
  port2.start();
  const client = (pairing === 'Comlink.wrap → our expose' ? Comlink.wrap<typeof api>(port2) : remote<typeof api>(port2)) as ReturnType<typeof remote<typeof api>>;
  return { client, close: () => (port1.close(), port2.close()) };
}

describe.each(['our remote → Comlink.expose', 'Comlink.wrap → our expose', 'our remote → our expose'] as const)('worker calls in comlink’s wire format: %s', (which) => {
  beforeEach(() => {
    pairing = which;
    mark = which === 'our remote → Comlink.expose' ? Comlink.transfer : transfer;
  });

  it('calls methods and resolves with their answers, in any order', async () => {
    const { client, close } = connected();
    const [slow, sum] = await Promise.all([client.slow('x'), client.add(2, 3)]);
    expect(sum).toBe(5);
    expect(slow).toEqual({ echoed: 'x', nested: [1, { two: 2 }] });
    close();
  });

  it('rejects with the thrown error (message and name), or the thrown value', async () => {
    const { client, close } = connected();
    const e = await (client.fail('bad input') as Promise<unknown>).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toBe('no: bad input');
    expect((e as Error).name).toBe('RangeError');
    await expect(client.failPlain()).rejects.toBe('a plain string');
    close();
  });

  it('moves a marked port to the worker, and takes moved buffers back', async () => {
    const { client, close } = connected();
    const channel = new MessageChannel();
    const heard = new Promise((r) => (channel.port1.onmessage = (m) => r(m.data)));
    const send = which === 'Comlink.wrap → our expose' ? Comlink.transfer : transfer;
    expect(await client.portOk(send(channel.port2, [channel.port2]))).toBe(true);
    expect(await heard).toBe('hello over the moved port');
    expect(Array.from((await client.buffer()).bytes)).toEqual([1, 2, 3]);
    channel.port1.close();
    close();
  });

  it.skipIf(which === 'Comlink.wrap → our expose')('is not a thenable: awaiting the client does not call the worker', async () => {
    const { client, close } = connected();
    expect((client as unknown as { then?: unknown }).then).toBeUndefined();
    expect(await Promise.resolve(client)).toBe(client);
    close();
  });
});
