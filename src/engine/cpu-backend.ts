/**
 * The reference engine: objectives ∘ policy model ∘ optimizer in plain
 * TypeScript over typed arrays. The WebGPU backend is tested against it, so
 * it is written for clarity first and speed second (no allocation per sample).
 * The objectives live in ./objectives/, the policy models in ./policies/ (the
 * shape's kind picks one), the optimizer in ./optimizer.ts; this file holds
 * the state, one gradient step and the rollback of a step that diverged.
 */
import { type Backend, LOGIT_LIMIT, type TokenBatch, type UpdateHyper, type UpdateRequest, type UpdateStats } from './backend.ts';
import { type CpuObjectiveContext, dpoUpdate, rftUpdate, sftUpdate } from './objectives/cpu.ts';
import { clipScale, optimizerStep } from './optimizer.ts';
import { policyModel, type CpuPolicyModel } from './policies/index.ts';
import { cloneState, parametersOf, type PolicyParameters, type PolicyState } from './policy.ts';
import type { StreamId } from './prng.ts';

export class CpuBackend implements Backend {
  readonly kind = 'cpu' as const;
  readonly label = 'cpu';
  private state: PolicyState;
  private readonly model: CpuPolicyModel;
  private readonly ctx: CpuObjectiveContext;
  private scratchBuffer = new Float64Array(0);
  // Last good state, restored when an update goes non-finite.
  private readonly saved: { logits: Float32Array; m: Float32Array; v: Float32Array };
  private savedSteps = 0;
  private savedBaseline = Number.NaN;

  constructor(state: PolicyState) {
    this.state = cloneState(state);
    this.model = policyModel(state.shape.kind).cpu(state.shape);
    this.model.bind(this.state.logits, this.state.ref);
    const params = this.state.logits.length;
    this.saved = { logits: new Float32Array(params), m: new Float32Array(params), v: new Float32Array(params) };
    const self = this;
    this.ctx = {
      model: this.model,
      maxLen: state.shape.maxLen,
      get baseline() {
        return self.state.baseline;
      },
      set baseline(b: number) {
        self.state.baseline = b;
      },
      applyGradient: (T, hyper) => this.applyGradient(T, hyper),
      scratch: (n) => {
        if (this.scratchBuffer.length < n) this.scratchBuffer = new Float64Array(n);
        return this.scratchBuffer;
      },
    };
  }

  async sample(step: number, stream: StreamId, promptOf: Int32Array, temperature: number, seed: number): Promise<TokenBatch> {
    return this.sampleSync(step, stream, promptOf, temperature, seed);
  }

  sampleSync(step: number, stream: StreamId, promptOf: Int32Array, T: number, seed: number): TokenBatch {
    return this.model.sample(step, stream, promptOf, T, seed);
  }

  async update(step: number, req: UpdateRequest, hyper: UpdateHyper): Promise<UpdateStats> {
    return this.updateSync(step, req, hyper);
  }

  updateSync(_step: number, req: UpdateRequest, hyper: UpdateHyper): UpdateStats {
    this.saveGoodState();
    let stats: UpdateStats;
    if (req.objective === 'rft') stats = rftUpdate(this.ctx, req.samples, req.rewards, hyper);
    else if (req.objective === 'dpo') stats = dpoUpdate(this.ctx, req.samples, req.pairs, hyper);
    else stats = sftUpdate(this.ctx, req.samples, req.demos, hyper);
    if (!stats.finite || !Number.isFinite(stats.loss) || !allWithinLimit(this.state.logits)) {
      this.restoreGoodState();
      stats.finite = false;
    }
    return stats;
  }

  async readState(): Promise<PolicyState> {
    return cloneState(this.state);
  }

  async readPolicy(): Promise<PolicyParameters> {
    const s = this.state;
    return parametersOf({ shape: { ...s.shape }, logits: s.logits.slice(), ref: s.ref.slice() });
  }

  async writeState(state: PolicyState): Promise<void> {
    checkShape('CpuBackend', state, this.state);
    this.state = cloneState(state);
    this.model.bind(this.state.logits, this.state.ref);
  }

  /**
   * When set, every optimizer step appends the parameters it started from and
   * the unclipped gradient: tests compare them with finite differences and the
   * WebGPU backend. Not part of the Backend interface.
   */
  gradientLog: { theta: Float32Array; grad: Float64Array }[] | null = null;

  /** Direct access for tests; not part of the Backend interface. */
  get logits(): Float32Array {
    return this.state.logits;
  }

  dispose(): void {}

  /**
   * The policy model's backward turns the accumulated upstream gradients into
   * the parameter gradient; it is clipped and the optimizer takes one step.
   * Returns the gradient norm before clipping.
   */
  private applyGradient(T: number, hyper: UpdateHyper): number {
    const model = this.model;
    const norm = Math.sqrt(model.backward(T));
    this.gradientLog?.push({ theta: this.state.logits.slice(), grad: model.grad.slice() });
    const opt = hyper.optimizer;
    optimizerStep(this.state.logits, model.grad, clipScale(norm, opt.max_grad_norm), this.state, opt);
    model.clearGradient();
    model.invalidate();
    return norm;
  }

  private saveGoodState(): void {
    this.saved.logits.set(this.state.logits);
    this.saved.m.set(this.state.adamM);
    this.saved.v.set(this.state.adamV);
    this.savedSteps = this.state.optSteps;
    this.savedBaseline = this.state.baseline;
  }

  private restoreGoodState(): void {
    this.state.logits.set(this.saved.logits);
    this.state.adamM.set(this.saved.m);
    this.state.adamV.set(this.saved.v);
    this.state.optSteps = this.savedSteps;
    this.state.baseline = this.savedBaseline;
    this.model.reset();
  }
}

/** Backends are made for one policy shape; a state of another shape needs a new backend. */
export function checkShape(who: string, state: PolicyState, current: { shape: PolicyState['shape'] }): void {
  const s = state.shape;
  const c = current.shape;
  if (s.kind !== c.kind || s.prompts !== c.prompts || s.maxLen !== c.maxLen || s.vocab !== c.vocab) {
    throw new Error(`${who}.writeState: the state's policy shape (${JSON.stringify(s)}) differs from this backend's (${JSON.stringify(c)}); create a new backend`);
  }
}

/** Every value finite and within ±LOGIT_LIMIT (NaN fails the comparison). */
function allWithinLimit(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i]) <= LOGIT_LIMIT)) return false;
  return true;
}
