/**
 * "Take it to a real model": a run (config + task) written out as the files of an
 * OpenAI fine-tuning job or a Hugging Face TRL script. Pure text generation with
 * no DOM and no Node APIs, shared by `npm run export` and the page's training
 * worker, so both write byte-identical files for the same run.
 *
 * Where a knob has no counterpart it is listed in the README, and where a setting
 * would change meaning on the other side (cDPO for TRL, online DPO pairs, RLOO and
 * REINFORCE advantages) the export refuses with one line naming the field.
 */
import type { Config } from '../engine/config.ts';
import type { GraderSpec, Task } from '../engine/task.ts';
import { exportTask } from '../data/export.ts';
import { jsSources, pythonGrader, pythonStub } from './python-grader.ts';

export type ExportFormat = 'openai' | 'trl';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['openai', 'trl'];

/** A setting the target cannot express without changing the run's meaning; `field` names it. */
export class ExportError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ExportError';
  }
}

export interface ExportedRun {
  /** Relative path → file text; the folder (or zip) to write. */
  files: Record<string, string>;
}

/** Knobs of the playground that neither target has, and why; every export's README lists the ones that apply. */
const NO_COUNTERPART: [string, string][] = [
  ['policy.kind, policy.init, policy.init_scale', 'the playground trains a table of logits per prompt and position; a real model is a pretrained transformer, so there is no table to initialise'],
  ['backend', 'the real run uses the GPU (TRL) or OpenAI\'s servers'],
  ['num_prompts, demo_error_rate, preference_noise', 'already applied: the exported data is the run\'s data, noise included'],
  ['eval_graders', 'logged beside training in the playground; here they are not part of the job (add them to an OpenAI eval, or as extra TRL reward functions with weight 0)'],
];

const FAITHFULNESS = `## What changes on a real model

- **Tokens.** The playground's tokens are single characters plus an end-of-answer token. A real model has a tokenizer: an answer of a few characters is one to a few tokens, so lengths, \`max_len\` and per-token averages (\`loss_type\`, IPO's length normalisation, the entropy bonus) count different units.
- **Starting point.** The playground starts from uniform (or a fitted warm-start) logits. A real model starts pretrained: it already answers most prompts sensibly, so rewards start high and learning is about the remaining cases.
- **KL reference.** The KL leash (and DPO's reference) is the frozen *base model* instead of the playground's initial table: staying close to it keeps what pretraining taught.
- **Scale.** One step here takes milliseconds; on a GPU it takes seconds to minutes, and learning rates for pretrained weights are orders of magnitude smaller than the playground's.
`;

function jsonlLines(text: string): number {
  return text.split('\n').filter((l) => l.trim() !== '').length;
}

function graderOf(config: Config, task: Task): GraderSpec {
  return config.grader ?? task.grader;
}

/** Steps × examples per step over the data set: how many passes the run made (at least 1). */
function epochs(steps: number, perStep: number, rows: number): number {
  return Math.max(1, Math.ceil((steps * perStep) / Math.max(rows, 1)));
}

function table(rows: [string, string][]): string {
  return ['| knob | why it has no counterpart |', '|---|---|', ...rows.map(([k, v]) => `| \`${k.split(', ').join('`, `')}\` | ${v} |`)].join('\n');
}

/** The data file of the run's objective, in OpenAI's format (also what the TRL script reads). */
function dataFile(config: Config, task: Task): { name: string; text: string } {
  const data = exportTask(task);
  const file = data.files[config.objective];
  if (jsonlLines(file.text) === 0) throw new ExportError('task', `the task has no ${config.objective.toUpperCase()} data to export`);
  return file;
}

/** The grader as Python, or the refusal's files: explanation, the JS beside a stub. */
function graderFiles(grader: GraderSpec, files: Record<string, string>, pyName: string): { ok: true; source: string } | { ok: false; reason: string; path: string } {
  const py = pythonGrader(grader);
  if (py.ok) return py;
  const sources = jsSources(grader);
  const jsFile = 'grader.js';
  files[jsFile] = sources.length
    ? sources.map((s) => `// ${s.path}\n${s.source.trimEnd()}\n`).join('\n')
    : `// ${py.path} has no JavaScript source: it is a ${String(grader.type)} grader.\n// Its settings, for porting by hand:\n// ${JSON.stringify(grader)}\n`;
  files[pyName] = pythonStub(py.reason, jsFile);
  return py;
}

function refusalText(g: { reason: string; path: string }, pyName: string): string {
  return `## The grader needs porting by hand

The run's grader was **not** translated: ${g.reason} (\`${g.path}\`). Rather than guess, this export leaves a stub: \`grader.js\` holds the JavaScript and \`${pyName}\` a Python function with the same signature, \`grade(sample, item) -> float\`, which raises until you port it. Check the port on a few answers against the playground's test bench before training.
`;
}

// ------------------------------------------------------------------ OpenAI

/** Fields the export writes into OpenAI's job, with where the API documents them (checked by tests/export). */
export const OPENAI_DOCUMENTED_FIELDS = {
  source: 'openai/openai-node src/resources/fine-tuning/jobs/jobs.ts (JobCreateParams) and methods.ts (Dpo/Reinforcement/SupervisedHyperparameters); graders in src/resources/graders/grader-models.ts',
  job: ['model', 'training_file', 'validation_file', 'seed', 'suffix', 'method', 'metadata', 'integrations', 'hyperparameters'],
  method: ['type', 'supervised', 'dpo', 'reinforcement'],
  supervised: ['batch_size', 'learning_rate_multiplier', 'n_epochs'],
  dpo: ['batch_size', 'beta', 'learning_rate_multiplier', 'n_epochs'],
  reinforcement: ['batch_size', 'compute_multiplier', 'eval_interval', 'eval_samples', 'learning_rate_multiplier', 'n_epochs', 'reasoning_effort'],
  graders: {
    string_check: ['type', 'name', 'input', 'reference', 'operation'],
    text_similarity: ['type', 'name', 'input', 'reference', 'evaluation_metric'],
    python: ['type', 'name', 'source', 'image_tag'],
    multi: ['type', 'name', 'graders', 'calculate_output'],
  },
} as const;

/** Default models per method: RFT needs a reasoning model; SFT and DPO take the small GPT-4.1 models. */
const OPENAI_MODELS = { rft: 'o4-mini-2025-04-16', dpo: 'gpt-4.1-mini-2025-04-14', sft: 'gpt-4.1-mini-2025-04-14' };

/**
 * OpenAI grader JSON for a playground grader: string_check natively; text_similarity natively when it is
 * OpenAI's metric as OpenAI computes it (no pass_threshold, word tokens); multi natively with translated
 * parts; everything else as a python grader computing the same score. null when a part cannot be translated.
 */
function openaiGrader(spec: GraderSpec, name: string): Record<string, unknown> | null {
  if (spec.type === 'string_check') {
    return { type: 'string_check', name, input: spec.input ?? '{{sample.output_text}}', reference: spec.reference ?? '{{item.reference}}', operation: spec.operation ?? 'eq' };
  }
  if (spec.type === 'text_similarity' && spec.pass_threshold === undefined && (spec.tokens ?? 'words') === 'words') {
    return { type: 'text_similarity', name, input: spec.input ?? '{{sample.output_text}}', reference: spec.reference ?? '{{item.reference}}', evaluation_metric: spec.evaluation_metric };
  }
  if (spec.type === 'multi') {
    const graders: Record<string, unknown> = {};
    for (const [n, sub] of Object.entries(spec.graders as Record<string, GraderSpec>)) {
      const g = openaiGrader(sub, n);
      if (!g) return null;
      graders[n] = g;
    }
    return { type: 'multi', name, graders, calculate_output: spec.calculate_output };
  }
  const py = pythonGrader(spec);
  return py.ok ? { type: 'python', name, source: py.source } : null;
}

function openaiExport(config: Config, task: Task): ExportedRun {
  if (config.objective === 'dpo' && config.dpo.pairs === 'online') {
    throw new ExportError('dpo.pairs', '"online" pairs are sampled and graded during training; OpenAI\'s DPO method trains on a fixed file of pairs: export with dpo.pairs "offline"');
  }
  const files: Record<string, string> = {};
  const data = dataFile(config, task);
  const trainName = `train.${config.objective}.jsonl`;
  files[trainName] = data.text;
  const rows = jsonlLines(data.text);
  const perStep = config.batch_prompts;
  const n_epochs = epochs(config.steps, perStep, rows);
  const unmapped: [string, string][] = [...NO_COUNTERPART];
  const optimizerNote: [string, string] = [
    'optimizer.*',
    'OpenAI chooses the optimizer and learning rate; `learning_rate_multiplier` scales its own default, so it stays "auto"',
  ];
  unmapped.push(optimizerNote);
  let method: Record<string, unknown>;
  let graderSection = '';
  let graderIsStub = false;
  if (config.objective === 'sft') {
    method = { type: 'supervised', supervised: { hyperparameters: { n_epochs, batch_size: perStep, learning_rate_multiplier: 'auto' } } };
  } else if (config.objective === 'dpo') {
    method = { type: 'dpo', dpo: { hyperparameters: { beta: config.dpo.beta, n_epochs, batch_size: perStep, learning_rate_multiplier: 'auto' } } };
    if (config.dpo.loss_type !== 'sigmoid') {
      unmapped.push(['dpo.loss_type, dpo.label_smoothing', `OpenAI's DPO method takes only beta; the run's "${config.dpo.loss_type}" loss becomes the standard sigmoid DPO loss there`]);
    }
  } else {
    const spec = graderOf(config, task);
    let grader = openaiGrader(spec, String(spec.name ?? 'playground_grader'));
    if (!grader) {
      const g = graderFiles(spec, files, 'grader_stub.py');
      if (g.ok) throw new Error('unreachable: a grader Python can express is always an OpenAI grader');
      graderIsStub = true;
      graderSection = refusalText(g, 'grader_stub.py');
      grader = { type: 'python', name: String(spec.name ?? 'playground_grader'), source: files['grader_stub.py'] };
    }
    files['grader.json'] = JSON.stringify(grader, null, 2) + '\n';
    method = { type: 'reinforcement', reinforcement: { grader, hyperparameters: { n_epochs, batch_size: perStep, learning_rate_multiplier: 'auto' } } };
    unmapped.push(
      ['num_generations, temperature', 'OpenAI samples and sizes the groups itself (`compute_multiplier` scales that exploration, with no fixed relation to num_generations)'],
      ['rft.advantage, rft.scale_rewards, rft.loss_type, rft.epsilon, rft.epsilon_high, rft.num_iterations, rft.beta, rft.entropy_coef, rft.baseline_decay', 'OpenAI\'s reinforcement method does not expose its policy-gradient loss, clipping or KL'],
    );
  }
  const job = { model: OPENAI_MODELS[config.objective], seed: config.seed, method };
  files['job.json'] = JSON.stringify(job, null, 2) + '\n';
  files['start-job.mjs'] = openaiScript(trainName, config.objective === 'rft', graderIsStub);
  files['package.json'] = JSON.stringify({ private: true, type: 'module', dependencies: { openai: '^5.23.0' } }, null, 2) + '\n';
  const sub = { rft: 'reinforcement', dpo: 'dpo', sft: 'supervised' }[config.objective];
  files['README.md'] = `# ${task.title}: an OpenAI fine-tuning job (${sub})

Exported from RFT Playground: the run's ${config.objective.toUpperCase()} data, ${config.objective === 'rft' ? 'its grader as OpenAI grader JSON, ' : ''}and a script that starts the same job on OpenAI's fine-tuning API.

| file | what it is |
|---|---|
| \`${trainName}\` | the training data (${rows} rows) in the format the API expects |
| \`job.json\` | the job: model, method \`${sub}\` and its hyperparameters (edit the model here or pass \`--model\`) |
${config.objective === 'rft' ? `| \`grader.json\` | the grader, also inside job.json |\n` : ''}| \`start-job.mjs\` | uploads the data, ${config.objective === 'rft' ? 'validates and test-runs the grader, ' : ''}starts the job and prints its id |
| \`package.json\` | the script's one dependency, the \`openai\` package |
${graderIsStub ? '| `grader.js`, `grader_stub.py` | the grader to port by hand (see below) |\n' : ''}
## Run it

\`\`\`sh
npm install
export OPENAI_API_KEY=sk-...     # the script reads the key from here; no file holds it
node start-job.mjs               # or: node start-job.mjs --model ${OPENAI_MODELS[config.objective]}
\`\`\`

## Hyperparameters

The run made ${config.steps} steps of ${perStep} ${config.objective === 'sft' ? 'demonstrations' : config.objective === 'dpo' ? 'pairs' : 'prompts'} over ${rows} rows: \`n_epochs\` = ${n_epochs} (rounded up), \`batch_size\` = ${perStep}${config.objective === 'dpo' ? `, \`beta\` = ${config.dpo.beta}` : ''}. \`seed\` = the run's seed.
${config.objective === 'rft' ? '\nThe grader: `string_check` and `multi` are OpenAI\'s own; `text_similarity` is OpenAI\'s own when it uses word tokens and no pass_threshold (OpenAI computes its metrics with its own implementation, which it does not document, so scores may differ slightly from the playground\'s); `numeric`, `regex`, and `text_similarity` with `tokens: "chars"` or a `pass_threshold` become a `python` grader that computes exactly the playground\'s score.\n' : ''}
Knobs with no counterpart:

${table(unmapped)}

${graderSection}${FAITHFULNESS}`;
  return { files };
}

function openaiScript(trainName: string, rft: boolean, graderIsStub: boolean): string {
  return `// Starts the exported fine-tuning job. Needs OPENAI_API_KEY in the environment; no key is stored in any file.
// Usage: node start-job.mjs [--model MODEL]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';

// Files beside this script, wherever it is run from.
const here = (name) => path.join(path.dirname(fileURLToPath(import.meta.url)), name);
const job = JSON.parse(fs.readFileSync(here('job.json'), 'utf8'));
const modelFlag = process.argv.indexOf('--model');
if (modelFlag > 0) job.model = process.argv[modelFlag + 1];
if (!process.env.OPENAI_API_KEY) {
  console.error('Set OPENAI_API_KEY first (export OPENAI_API_KEY=sk-...).');
  process.exit(2);
}
${graderIsStub ? `// The grader is a stub until it is ported by hand (README.md): refuse to spend a job on it.
if (/raise NotImplementedError/.test(job.method.reinforcement.grader.source)) {
  console.error('grader_stub.py is not ported yet: port grader.js into it, put the source into job.json, then run again (see README.md).');
  process.exit(2);
}
` : ''}
const client = new OpenAI();
const trainPath = here('${trainName}');
${rft ? `
// Check the grader before paying for a job: validate it, then run it on the first row's reference answer.
const { grader } = job.method.reinforcement;
await client.fineTuning.alpha.graders.validate({ grader });
const firstRow = JSON.parse(fs.readFileSync(trainPath, 'utf8').split('\\n')[0]);
const { messages: _messages, ...item } = firstRow;
const check = await client.fineTuning.alpha.graders.run({ grader, item, model_sample: String(item.reference ?? '') });
console.log(\`grader ok: the first row's reference answer scores \${check.reward}\`);
` : ''}
const file = await client.files.create({ file: fs.createReadStream(trainPath), purpose: 'fine-tune' });
console.log(\`uploaded ${trainName} as \${file.id}\`);
const created = await client.fineTuning.jobs.create({ ...job, training_file: file.id });
console.log(\`fine-tuning job \${created.id} started (\${created.status}); follow it with: client.fineTuning.jobs.retrieve('\${created.id}')\`);
`;
}

// ------------------------------------------------------------------ TRL

/** TRL's default learning rates (GRPOConfig, DPOConfig, SFTConfig at 1.10): sized for pretrained weights. */
const TRL_LEARNING_RATE = { rft: 1e-6, dpo: 1e-6, sft: 2e-5 };
const TRL_MODEL = 'Qwen/Qwen2.5-0.5B-Instruct';

/** Python literal for a JSON-ish value. */
function py(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v); // JS prints 1e-8, 0.9, 300: all Python literals
  if (typeof v === 'string') return JSON.stringify(v);
  return JSON.stringify(v);
}

/** The config class's keyword arguments; every key must be a field of TRL's class (checked by tests/export). */
export function trlConfigArgs(config: Config, maxLen: number): { className: 'GRPOConfig' | 'DPOConfig' | 'SFTConfig'; args: [string, unknown, string?][] } {
  const o = config.optimizer;
  const common: [string, unknown, string?][] = [
    ['max_grad_norm', o.max_grad_norm ?? 0, o.max_grad_norm === null ? 'the run clipped nothing; 0 switches clipping off in transformers' : undefined],
    ['optim', o.name === 'adam' ? 'adamw_torch' : 'sgd', o.name === 'adam' ? 'AdamW with weight_decay 0 is Adam' : undefined],
    ['weight_decay', 0],
    ['adam_beta1', o.adam_beta1],
    ['adam_beta2', o.adam_beta2],
    ['adam_epsilon', o.adam_epsilon],
    ['lr_scheduler_type', 'constant', 'the playground keeps the learning rate constant'],
    ['warmup_steps', 0],
    ['seed', config.seed],
    ['logging_steps', 1],
    ['report_to', 'none'],
  ];
  if (config.objective === 'rft') {
    const r = config.rft;
    const args: [string, unknown, string?][] = [
      ['num_generations', config.num_generations],
      // One optimizer step sees the run's whole batch: G completions per micro-batch, batch_prompts micro-batches.
      ['per_device_train_batch_size', config.num_generations],
      ['gradient_accumulation_steps', config.batch_prompts, 'with per_device_train_batch_size, one optimizer step = the run\'s batch_prompts × num_generations completions'],
      ['max_steps', config.steps * r.num_iterations, 'TRL counts optimizer steps; each playground step made num_iterations of them'],
      ['max_completion_length', config.policy.max_len ?? maxLen, 'the playground counted characters + EOS; a tokenizer\'s tokens are longer, so this is generous'],
      ['temperature', config.temperature],
      ['beta', r.beta],
      ['epsilon', r.epsilon],
      ...(r.epsilon_high !== null ? ([['epsilon_high', r.epsilon_high]] as [string, unknown][]) : []),
      ['num_iterations', r.num_iterations],
      ['scale_rewards', r.scale_rewards],
      ['loss_type', r.loss_type],
      ...(r.entropy_coef > 0 ? ([['entropy_coef', r.entropy_coef]] as [string, unknown][]) : []),
    ];
    return { className: 'GRPOConfig', args: [...args, ...common] };
  }
  if (config.objective === 'dpo') {
    const d = config.dpo;
    const args: [string, unknown, string?][] = [
      ['per_device_train_batch_size', config.batch_prompts],
      ['max_steps', config.steps],
      ['loss_type', d.loss_type],
      ['beta', d.beta],
      ...(d.loss_type === 'robust' ? ([['label_smoothing', d.label_smoothing]] as [string, unknown][]) : []),
    ];
    return { className: 'DPOConfig', args: [...args, ...common] };
  }
  return { className: 'SFTConfig', args: [['per_device_train_batch_size', config.batch_prompts], ['max_steps', config.steps], ...common] };
}

function checkTrlMeaning(config: Config): void {
  if (config.objective === 'rft' && config.rft.advantage !== 'grpo') {
    throw new ExportError(
      'rft.advantage',
      `"${config.rft.advantage}" has no counterpart in TRL's GRPOTrainer (TRL's RLOOTrainer clips whole-sequence ratios and puts the KL into the reward, a different objective); export a run with advantage "grpo"`,
    );
  }
  if (config.objective === 'dpo' && config.dpo.loss_type === 'cdpo') {
    throw new ExportError('dpo.loss_type', '"cdpo" is not a TRL 1.10 loss (its sigmoid ignores label_smoothing); export with "sigmoid" or "robust"');
  }
  if (config.objective === 'dpo' && config.dpo.pairs === 'online') {
    throw new ExportError('dpo.pairs', '"online" pairs come from the policy during training; TRL\'s DPOTrainer trains on a fixed data set: export with dpo.pairs "offline"');
  }
}

function trlExport(config: Config, task: Task): ExportedRun {
  checkTrlMeaning(config);
  const files: Record<string, string> = {};
  const data = dataFile(config, task);
  const dataName = `train.${config.objective}.jsonl`;
  files[dataName] = data.text;
  const rows = jsonlLines(data.text);
  const { className, args } = trlConfigArgs(config, task.maxLen);
  let graderSection = '';
  let itemFields: string[] = [];
  if (config.objective === 'rft') {
    const g = graderFiles(graderOf(config, task), files, 'grader.py');
    if (g.ok) files['grader.py'] = g.source;
    else graderSection = refusalText(g, 'grader.py');
    const first = JSON.parse(data.text.split('\n')[0]) as Record<string, unknown>;
    itemFields = Object.keys(first).filter((k) => k !== 'messages');
  }
  files['train.py'] = trlScript(config, className, args, dataName, itemFields);
  files['accelerate.yaml'] = `# accelerate launch --config_file accelerate.yaml train.py: one machine, one GPU.
compute_environment: LOCAL_MACHINE
distributed_type: "NO"
num_machines: 1
num_processes: 1
machine_rank: 0
mixed_precision: bf16
use_cpu: false
`;
  files['requirements.txt'] = 'trl>=1.0\ntransformers\ndatasets\naccelerate\n';
  const trainer = className.replace('Config', 'Trainer');
  const unmapped: [string, string][] = [
    ...NO_COUNTERPART,
    ['optimizer.learning_rate', `the playground moves table logits by ~${config.optimizer.learning_rate} per step; pretrained weights need TRL's own default (${TRL_LEARNING_RATE[config.objective]}), which train.py uses (override with --learning_rate)`],
  ];
  if (config.objective === 'rft') unmapped.push(['rft.baseline_decay', 'only the reinforce advantage uses it, which the TRL export refuses']);
  if (config.objective !== 'rft') unmapped.push(['num_generations, temperature', `${trainer} trains on the data file and samples nothing`]);
  files['README.md'] = `# ${task.title}: a TRL ${trainer} run

Exported from RFT Playground: the run's ${config.objective.toUpperCase()} data and one script that trains a real model on it with Hugging Face TRL, with the run's hyperparameters under TRL's names.

| file | what it is |
|---|---|
| \`train.py\` | the script: loads the data with \`datasets\`, converts it to TRL's columns, builds \`${className}\` and \`${trainer}\` |
| \`${dataName}\` | the data (${rows} rows), in OpenAI's JSONL format as the playground exports it |
${config.objective === 'rft' ? `| \`grader.py\` | ${graderSection ? 'a stub to port the grader into (see below)' : 'the reward function: a Python port of the run\'s grader, with the same scores'} |\n` : ''}${graderSection ? '| `grader.js` | the grader\'s JavaScript, to port |\n' : ''}| \`accelerate.yaml\` | an accelerate config for one GPU |
| \`requirements.txt\` | what to install |

## Run it

\`\`\`sh
pip install -r requirements.txt
accelerate launch --config_file accelerate.yaml train.py            # --model defaults to ${TRL_MODEL}
\`\`\`

On several GPUs: \`accelerate launch --num_processes 4 train.py\` (or \`accelerate config\` for DeepSpeed or FSDP). ${config.objective === 'rft' ? 'Keep `gradient_accumulation_steps × num_processes × per_device_train_batch_size` a multiple of `num_generations`.' : 'Divide `per_device_train_batch_size` by the number of GPUs to keep the run\'s batch.'}

## Hyperparameters

${className} gets: ${args.map(([k, v]) => `\`${k}\`=${py(v)}`).join(', ')}, plus \`learning_rate\` (see below) and \`output_dir\`. The names are TRL's, and the formulas are the playground's: \`tests/engine/trl-formulas.test.ts\` in the playground checks its losses against TRL's source.

Knobs with no counterpart:

${table(unmapped)}

${graderSection}${FAITHFULNESS}`;
  return { files };
}

function trlScript(config: Config, className: string, args: [string, unknown, string?][], dataName: string, itemFields: string[]): string {
  const trainer = className.replace('Config', 'Trainer');
  const kwargs = args.map(([k, v, why]) => `        ${k}=${py(v)},${why ? `  # ${why}` : ''}`).join('\n');
  const convert =
    config.objective === 'rft'
      ? `def to_trl(row):
    # GRPOTrainer: a conversational "prompt"; the other columns reach the reward function as keyword arguments.
    return {"prompt": row["messages"], **{k: row[k] for k in ITEM_FIELDS}}`
      : config.objective === 'dpo'
        ? `def to_trl(row):
    # DPOTrainer: conversational prompt / chosen / rejected.
    return {"prompt": row["input"]["messages"], "chosen": row["preferred_output"], "rejected": row["non_preferred_output"]}`
        : `def to_trl(row):
    # SFTTrainer: prompt / completion, so the loss covers the answer only (as the playground's SFT).
    return {"prompt": row["messages"][:-1], "completion": row["messages"][-1:]}`;
  const reward =
    config.objective === 'rft'
      ? `
import grader

ITEM_FIELDS = ${JSON.stringify(itemFields)}


def reward(prompts, completions, **kwargs):
    """The playground's grader on each completion; a sample it cannot grade scores 0, as in the playground."""
    scores = []
    for i, completion in enumerate(completions):
        text = completion[-1]["content"] if isinstance(completion, list) else completion
        item = {k: kwargs[k][i] for k in ITEM_FIELDS if k in kwargs}
        try:
            scores.append(float(grader.grade({"output_text": text}, item)))
        except grader.GradeError:
            scores.append(0.0)
    return scores

`
      : '';
  return `"""${config.objective.toUpperCase()} with TRL's ${trainer}, exported from RFT Playground (see README.md).

accelerate launch --config_file accelerate.yaml train.py [--model NAME] [--learning_rate LR] [--output_dir DIR]
"""
import argparse
import os

from datasets import load_dataset
from trl import ${className}, ${trainer}

HERE = os.path.dirname(os.path.abspath(__file__))
${reward}
${convert}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=${py(TRL_MODEL)})
    # TRL's default for pretrained weights; the playground's ${config.optimizer.learning_rate} was for table logits.
    parser.add_argument("--learning_rate", type=float, default=${py(TRL_LEARNING_RATE[config.objective])})
    parser.add_argument("--output_dir", default="out")
    cli = parser.parse_args()
    data = load_dataset("json", data_files=os.path.join(HERE, ${py(dataName)}), split="train")
    data = data.map(to_trl, remove_columns=data.column_names)

    args = ${className}(
        output_dir=cli.output_dir,
        learning_rate=cli.learning_rate,
${kwargs}
    )
    trainer = ${trainer}(model=cli.model, args=args, train_dataset=data${config.objective === 'rft' ? ', reward_funcs=reward' : ''})
    trainer.train()
    trainer.save_model(cli.output_dir)


if __name__ == "__main__":
    main()
`;
}

/** The files for `format`; throws ExportError when the run cannot be carried over with the same meaning. */
export function generateExport(config: Config, task: Task, format: ExportFormat): ExportedRun {
  return format === 'openai' ? openaiExport(config, task) : trlExport(config, task);
}
