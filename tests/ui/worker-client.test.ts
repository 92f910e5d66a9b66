/**
 * The page's worker client (src/worker/client.ts) against the real `Comlink.expose`, over a
 * MessageChannel as over a Worker: calls, answers, thrown errors, moved ports and buffers.
 */
import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import { remote, transfer } from '../../src/worker/client.ts';

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
    return Comlink.transfer({ bytes }, [bytes.buffer]);
  },
};

function connected() {
  const { port1, port2 } = new MessageChannel();
  Comlink.expose(api, port1);
  port2.start();
  return { client: remote<typeof api>(port2), close: () => (port1.close(), port2.close()) };
}

describe('the page’s worker client speaks comlink', () => {
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
    expect(await client.portOk(transfer(channel.port2, [channel.port2]))).toBe(true);
    expect(await heard).toBe('hello over the moved port');
    expect(Array.from((await client.buffer()).bytes)).toEqual([1, 2, 3]);
    channel.port1.close();
    close();
  });

  it('is not a thenable: awaiting the client does not call the worker', async () => {
    const { client, close } = connected();
    expect((client as unknown as { then?: unknown }).then).toBeUndefined();
    expect(await Promise.resolve(client)).toBe(client);
    close();
  });
});
