/**
 * A base model as a file (the CLI's --save-base / --base): JSON with the
 * network it belongs to and its parameters as little-endian float32 in
 * base64, so a saved base loads bit for bit. Loading checks the network
 * against the run's, field by field, and says which differs.
 */
import type { NetShape, PolicyShape } from '../../engine/policies/types.ts';

export const BASE_FORMAT = 'rft-playground-base';
export const BASE_VERSION = 1;

export interface BaseFile {
  format: typeof BASE_FORMAT;
  version: typeof BASE_VERSION;
  task: string;
  seed: number;
  max_len: number;
  /** Answer tokens (EOS included) and the network, prompts left out. */
  vocab: number;
  net: Omit<NetShape, 'prompts'>;
  steps: number;
  check_accuracy: number;
  /** [size, hash] of the pretraining corpus (base.ts corpusFingerprint). */
  corpus: [number, number];
  params: string;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function serializeBase(shape: PolicyShape, params: Float32Array, info: { task: string; seed: number; steps: number; checkAccuracy: number; corpus: [number, number] }): string {
  const { prompts: _p, ...net } = shape.net!;
  const le = new Float32Array(params); // typed arrays are little-endian on every platform that runs this
  const file: BaseFile = {
    format: BASE_FORMAT,
    version: BASE_VERSION,
    task: info.task,
    seed: info.seed,
    max_len: shape.maxLen,
    vocab: shape.vocab,
    net,
    steps: info.steps,
    check_accuracy: info.checkAccuracy,
    corpus: info.corpus,
    params: toBase64(new Uint8Array(le.buffer)),
  };
  return JSON.stringify(file) + '\n';
}

export class BaseFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BaseFileError';
  }
}

/** The parameters of a base file written for `shape`'s network; a BaseFileError naming what differs otherwise. */
/** What each network field of a base file is in a config's words. */
const NET_FIELDS: Record<string, string> = {
  max_len: 'policy.max_len',
  vocab: 'the answer vocabulary (the task\'s alphabet)',
  'net.layers': 'policy.layers',
  'net.dModel': 'policy.d_model',
  'net.heads': 'policy.heads',
  'net.dMlp': 'policy.d_mlp',
  'net.positions': 'policy.positions',
  'net.vocabIn': 'the input vocabulary (the task\'s prompt characters)',
  'net.context': 'the context (longest prompt + separator + policy.max_len)',
};

export function parseBase(text: string, shape: PolicyShape, paramCount: number, where: string, corpus: [number, number], task: string): { params: Float32Array; file: BaseFile } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new BaseFileError(`${where}: not a base model file (not JSON: ${(e as Error).message})`);
  }
  const f = raw as Partial<BaseFile>;
  if (!f || typeof f !== 'object' || f.format !== BASE_FORMAT) throw new BaseFileError(`${where}: not a base model file (no "format": "${BASE_FORMAT}"; make one with --save-base)`);
  if (f.version !== BASE_VERSION) throw new BaseFileError(`${where}: version ${JSON.stringify(f.version)}, this trainer reads version ${BASE_VERSION}`);
  const { prompts: _p, ...net } = shape.net!;
  const want: Record<string, unknown> = { max_len: shape.maxLen, vocab: shape.vocab, ...Object.fromEntries(Object.entries(net).map(([k, v]) => [`net.${k}`, v])) };
  const got: Record<string, unknown> = { max_len: f.max_len, vocab: f.vocab, ...Object.fromEntries(Object.entries(f.net ?? {}).map(([k, v]) => [`net.${k}`, v])) };
  const tasks = f.task === task ? `task "${task}" in both` : `made for task ${JSON.stringify(f.task)}, this run is task "${task}"`;
  if (!f.net || typeof f.net !== 'object') throw new BaseFileError(`${where}: not a base model file (no "net": the network it was made for)`);
  for (const [k, v] of Object.entries(want)) {
    if (got[k] !== v) {
      const there = got[k] === undefined ? 'missing there' : `${JSON.stringify(got[k])} there`;
      throw new BaseFileError(`${where}: made for another network: ${NET_FIELDS[k] ?? k} is ${there} and ${JSON.stringify(v)} in this run (${tasks})`);
    }
  }
  if (!Array.isArray(f.corpus) || f.corpus[0] !== corpus[0] || f.corpus[1] !== corpus[1]) {
    const why = f.task === task ? 'its split (num_prompts, eval_prompts, eval_split) or its pool differs' : 'the tasks differ';
    throw new BaseFileError(
      `${where}: pretrained on another corpus (${Array.isArray(f.corpus) ? f.corpus[0] : '?'} prompts there, ${corpus[0]} here; ${tasks}): ${why}, so its pretraining may have seen this run's held-out prompts`,
    );
  }
  if (typeof f.params !== 'string') throw new BaseFileError(`${where}: "params" is missing`);
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(f.params);
  } catch {
    throw new BaseFileError(`${where}: "params" is not base64`);
  }
  if (bytes.length !== paramCount * 4) throw new BaseFileError(`${where}: holds ${Math.floor(bytes.length / 4)} parameters, this network has ${paramCount}`);
  const params = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  for (let i = 0; i < params.length; i++) if (!Number.isFinite(params[i])) throw new BaseFileError(`${where}: parameter ${i} is not finite`);
  return { params, file: f as BaseFile };
}
