/**
 * The transformer's operations, each a `*_forward` beside its hand-written
 * `*_backward`, after llm.c's train_gpt2.c. The names are llm.c's (hence
 * snake_case): the WGSL kernels in shaders/ are meant to carry the same names
 * and be tested op by op against these, as gpu.cpp's unittest_llmc does.
 *
 * Conventions (all llm.c's):
 * - activations are [B][T][channels], flat; a weight is [out][in];
 * - a backward *adds* into its input gradients (callers zero them), so a
 *   tensor read by two consumers sums both gradients without a copy;
 * - sums run in float64 (JS numbers) whatever the storage, and every output
 *   element is one sum in a fixed order: no scatter, so a GPU port needs no
 *   float atomics and gives the same result every run.
 *
 * `Span` says which positions to compute: [lo[b], hi[b]) of sequence b. The
 * backward passes take lo = 0. A forward from lo > 0 recomputes only the new
 * positions and reads earlier keys and values from the stored activations:
 * the activations are the KV cache (see sampling.ts).
 */
import type { Floats } from './params.ts';

export interface Span {
  B: number;
  T: number;
  lo: Int32Array;
  hi: Int32Array;
}

export const LAYERNORM_EPS = 1e-5;

// ------------------------------------------------------------------ encoder

/** out[b,t] = wte[token] + wpe[t] (wpe null for rotary positions). */
export function encoder_forward(out: Floats, tokens: Int32Array, wte: Floats, wpe: Floats | null, s: Span, C: number): void {
  for (let b = 0; b < s.B; b++) {
    for (let t = s.lo[b]; t < s.hi[b]; t++) {
      const bt = b * s.T + t;
      const tok = tokens[bt] * C;
      const o = bt * C;
      if (wpe) for (let i = 0; i < C; i++) out[o + i] = wte[tok + i] + wpe[t * C + i];
      else for (let i = 0; i < C; i++) out[o + i] = wte[tok + i];
    }
  }
}

/**
 * Rows of wte (and wpe) gather the gradient of every position that read them.
 * Written as a scatter over positions here; a GPU port gathers per row instead.
 */
export function encoder_backward(dwte: Float64Array, dwpe: Float64Array | null, dout: Floats, tokens: Int32Array, s: Span, C: number): void {
  for (let b = 0; b < s.B; b++) {
    for (let t = 0; t < s.hi[b]; t++) {
      const bt = b * s.T + t;
      const tok = tokens[bt] * C;
      const o = bt * C;
      for (let i = 0; i < C; i++) dwte[tok + i] += dout[o + i];
      if (dwpe) for (let i = 0; i < C; i++) dwpe[t * C + i] += dout[o + i];
    }
  }
}

// ------------------------------------------------------------------ layernorm

/** out = (x − mean) · rstd · weight + bias per position; mean and rstd kept for the backward. */
export function layernorm_forward(out: Floats, mean: Float64Array, rstd: Float64Array, inp: Floats, weight: Floats, bias: Floats, s: Span, C: number): void {
  for (let b = 0; b < s.B; b++) {
    for (let t = s.lo[b]; t < s.hi[b]; t++) {
      const bt = b * s.T + t;
      const x = bt * C;
      let m = 0;
      for (let i = 0; i < C; i++) m += inp[x + i];
      m /= C;
      let v = 0;
      for (let i = 0; i < C; i++) {
        const d = inp[x + i] - m;
        v += d * d;
      }
      v /= C;
      const r = 1 / Math.sqrt(v + LAYERNORM_EPS);
      for (let i = 0; i < C; i++) out[x + i] = (inp[x + i] - m) * r * weight[i] + bias[i];
      mean[bt] = m;
      rstd[bt] = r;
    }
  }
}

/**
 * With n = (x − mean)·rstd and g = weight ⊙ dout:
 * dx = rstd · (g − mean(g) − n · mean(g ⊙ n)), dweight += n ⊙ dout, dbias += dout.
 */
export function layernorm_backward(
  dinp: Floats,
  dweight: Float64Array,
  dbias: Float64Array,
  dout: Floats,
  inp: Floats,
  weight: Floats,
  mean: Float64Array,
  rstd: Float64Array,
  s: Span,
  C: number,
): void {
  for (let b = 0; b < s.B; b++) {
    for (let t = 0; t < s.hi[b]; t++) {
      const bt = b * s.T + t;
      const x = bt * C;
      const m = mean[bt];
      const r = rstd[bt];
      let gMean = 0;
      let gnMean = 0;
      for (let i = 0; i < C; i++) {
        const n = (inp[x + i] - m) * r;
        const g = weight[i] * dout[x + i];
        gMean += g;
        gnMean += g * n;
      }
      gMean /= C;
      gnMean /= C;
      for (let i = 0; i < C; i++) {
        const n = (inp[x + i] - m) * r;
        const g = weight[i] * dout[x + i];
        dbias[i] += dout[x + i];
        dweight[i] += n * dout[x + i];
        dinp[x + i] += (g - gMean - n * gnMean) * r;
      }
    }
  }
}

// ------------------------------------------------------------------ matmul

/** out[bt][o] = bias[o] + Σ_i inp[bt][i] · weight[o][i]; inp has C channels, out OC. */
export function matmul_forward(out: Floats, inp: Floats, weight: Floats, bias: Floats | null, s: Span, C: number, OC: number): void {
  for (let b = 0; b < s.B; b++) {
    for (let t = s.lo[b]; t < s.hi[b]; t++) {
      const bt = b * s.T + t;
      const x = bt * C;
      const y = bt * OC;
      for (let o = 0; o < OC; o++) {
        const w = o * C;
        let acc = bias ? bias[o] : 0;
        for (let i = 0; i < C; i++) acc += inp[x + i] * weight[w + i];
        out[y + o] = acc;
      }
    }
  }
}

/**
 * dinp += dout · weight, dweight += doutᵀ · inp, dbias += Σ dout. Two passes so
 * each dinp entry is one float64 sum over outputs (the weight gradient lives in
 * a Float64Array and may be accumulated position by position).
 */
export function matmul_backward(
  dinp: Floats,
  dweight: Float64Array,
  dbias: Float64Array | null,
  dout: Floats,
  inp: Floats,
  weight: Floats,
  s: Span,
  C: number,
  OC: number,
): void {
  for (let b = 0; b < s.B; b++) {
    for (let t = 0; t < s.hi[b]; t++) {
      const bt = b * s.T + t;
      const x = bt * C;
      const y = bt * OC;
      for (let i = 0; i < C; i++) {
        let acc = 0;
        for (let o = 0; o < OC; o++) acc += dout[y + o] * weight[o * C + i];
        dinp[x + i] += acc;
      }
      for (let o = 0; o < OC; o++) {
        const d = dout[y + o];
        if (d === 0) continue; // most head rows carry no gradient outside the answer
        if (dbias) dbias[o] += d;
        const w = o * C;
        for (let i = 0; i < C; i++) dweight[w + i] += d * inp[x + i];
      }
    }
  }
}

// ------------------------------------------------------------------ rotary positions

/** cos and sin of position t × frequency j, [context][headSize / 2], RoFormer's θ_j = 10000^(−2j/hs). */
export interface RopeTables {
  cos: Float64Array;
  sin: Float64Array;
  half: number;
}

export const ROPE_BASE = 10000;

export function ropeTables(context: number, headSize: number): RopeTables {
  const half = headSize / 2;
  const cos = new Float64Array(context * half);
  const sin = new Float64Array(context * half);
  for (let t = 0; t < context; t++) {
    for (let j = 0; j < half; j++) {
      const angle = t * Math.pow(ROPE_BASE, (-2 * j) / headSize);
      cos[t * half + j] = Math.cos(angle);
      sin[t * half + j] = Math.sin(angle);
    }
  }
  return { cos, sin, half };
}

/**
 * Rotates each head's query and key channel pairs (2j, 2j+1) by the angle of
 * the position (RoFormer, Su et al. 2021), so q·k depends on positions only
 * through their difference; values pass unchanged. inp and out are [B][T][3C].
 */
export function rope_forward(out: Floats, inp: Floats, rope: RopeTables, s: Span, NH: number, C: number): void {
  const hs = C / NH;
  const { cos, sin, half } = rope;
  for (let b = 0; b < s.B; b++) {
    for (let t = s.lo[b]; t < s.hi[b]; t++) {
      const x = (b * s.T + t) * 3 * C;
      for (let part = 0; part < 2; part++) {
        for (let h = 0; h < NH; h++) {
          const base = x + part * C + h * hs;
          for (let j = 0; j < half; j++) {
            const c = cos[t * half + j];
            const sn = sin[t * half + j];
            const x0 = inp[base + 2 * j];
            const x1 = inp[base + 2 * j + 1];
            out[base + 2 * j] = x0 * c - x1 * sn;
            out[base + 2 * j + 1] = x0 * sn + x1 * c;
          }
        }
      }
      for (let i = 2 * C; i < 3 * C; i++) out[x + i] = inp[x + i];
    }
  }
}

/** The rotation is orthogonal: its backward is the rotation by the opposite angle. */
export function rope_backward(dinp: Floats, dout: Floats, rope: RopeTables, s: Span, NH: number, C: number): void {
  const hs = C / NH;
  const { cos, sin, half } = rope;
  for (let b = 0; b < s.B; b++) {
    for (let t = 0; t < s.hi[b]; t++) {
      const x = (b * s.T + t) * 3 * C;
      for (let part = 0; part < 2; part++) {
        for (let h = 0; h < NH; h++) {
          const base = x + part * C + h * hs;
          for (let j = 0; j < half; j++) {
            const c = cos[t * half + j];
            const sn = sin[t * half + j];
            const d0 = dout[base + 2 * j];
            const d1 = dout[base + 2 * j + 1];
            dinp[base + 2 * j] += d0 * c + d1 * sn;
            dinp[base + 2 * j + 1] += -d0 * sn + d1 * c;
          }
        }
      }
      for (let i = 2 * C; i < 3 * C; i++) dinp[x + i] += dout[x + i];
    }
  }
}

// ------------------------------------------------------------------ attention

/**
 * Causal multi-head attention. inp is qkv [B][T][3C] (q, k, v, each NH heads of
 * hs = C/NH channels); att [B][NH][T][T] keeps the softmax row of each query
 * (entries t2 > t are never written or read); out is [B][T][C].
 */
export function attention_forward(out: Floats, att: Floats, inp: Floats, s: Span, NH: number, C: number): void {
  const hs = C / NH;
  const scale = 1 / Math.sqrt(hs);
  const T = s.T;
  const C3 = 3 * C;
  const row = new Float64Array(T);
  for (let b = 0; b < s.B; b++) {
    for (let t = s.lo[b]; t < s.hi[b]; t++) {
      for (let h = 0; h < NH; h++) {
        const q = (b * T + t) * C3 + h * hs;
        let max = -Infinity;
        for (let t2 = 0; t2 <= t; t2++) {
          const k = (b * T + t2) * C3 + C + h * hs;
          let dot = 0;
          for (let i = 0; i < hs; i++) dot += inp[q + i] * inp[k + i];
          dot *= scale;
          row[t2] = dot;
          if (dot > max) max = dot;
        }
        let sum = 0;
        for (let t2 = 0; t2 <= t; t2++) {
          const e = Math.exp(row[t2] - max);
          row[t2] = e;
          sum += e;
        }
        const a = ((b * NH + h) * T + t) * T;
        for (let t2 = 0; t2 <= t; t2++) att[a + t2] = row[t2] / sum;
        const y = (b * T + t) * C + h * hs;
        for (let i = 0; i < hs; i++) {
          let acc = 0;
          for (let t2 = 0; t2 <= t; t2++) acc += att[a + t2] * inp[(b * T + t2) * C3 + 2 * C + h * hs + i];
          out[y + i] = acc;
        }
      }
    }
  }
}

/**
 * Backward of attention_forward, per (sequence, head), in the order a fused
 * GPU kernel would take it, each output one sum:
 * 1. datt[t][t2] = v[t2] · dout[t];  dpre = att ⊙ (datt − Σ_t2 att ⊙ datt)  (softmax backward)
 * 2. dq[t]  = scale Σ_{t2≤t} dpre[t][t2] k[t2]
 * 3. dk[t2] = scale Σ_{t≥t2} dpre[t][t2] q[t]
 * 4. dv[t2] =       Σ_{t≥t2} att[t][t2] dout[t]
 * `dpre` is float64 scratch of T × T (llm.c keeps dpreatt and datt as buffers).
 */
export function attention_backward(dinp: Floats, dout: Floats, inp: Floats, att: Floats, s: Span, NH: number, C: number): void {
  const hs = C / NH;
  const scale = 1 / Math.sqrt(hs);
  const T = s.T;
  const C3 = 3 * C;
  const dpre = new Float64Array(T * T);
  for (let b = 0; b < s.B; b++) {
    const n = s.hi[b];
    for (let h = 0; h < NH; h++) {
      const attBase = (b * NH + h) * T * T;
      const qOf = (t: number) => (b * T + t) * C3 + h * hs;
      const kOf = (t: number) => (b * T + t) * C3 + C + h * hs;
      const vOf = (t: number) => (b * T + t) * C3 + 2 * C + h * hs;
      const yOf = (t: number) => (b * T + t) * C + h * hs;
      for (let t = 0; t < n; t++) {
        const a = attBase + t * T;
        const dy = yOf(t);
        let dot = 0;
        for (let t2 = 0; t2 <= t; t2++) {
          const v = vOf(t2);
          let d = 0;
          for (let i = 0; i < hs; i++) d += inp[v + i] * dout[dy + i];
          dpre[t * T + t2] = d;
          dot += att[a + t2] * d;
        }
        for (let t2 = 0; t2 <= t; t2++) dpre[t * T + t2] = att[a + t2] * (dpre[t * T + t2] - dot);
      }
      for (let t = 0; t < n; t++) {
        const q = qOf(t);
        for (let i = 0; i < hs; i++) {
          let acc = 0;
          for (let t2 = 0; t2 <= t; t2++) acc += dpre[t * T + t2] * inp[kOf(t2) + i];
          dinp[q + i] += scale * acc;
        }
      }
      for (let t2 = 0; t2 < n; t2++) {
        const k = kOf(t2);
        const v = vOf(t2);
        for (let i = 0; i < hs; i++) {
          let dk = 0;
          let dv = 0;
          for (let t = t2; t < n; t++) {
            dk += dpre[t * T + t2] * inp[qOf(t) + i];
            dv += att[attBase + t * T + t2] * dout[yOf(t) + i];
          }
          dinp[k + i] += scale * dk;
          dinp[v + i] += dv;
        }
      }
    }
  }
}

// ------------------------------------------------------------------ GELU

/** √(2/π), of GPT-2's tanh approximation of GELU (Hendrycks & Gimpel 2016). */
const GELU_SCALING_FACTOR = Math.sqrt(2 / Math.PI);
const GELU_CUBIC = 0.044715;

/**
 * GELU, tanh approximation (GPT-2, llm.c): 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))).
 * WGSL has tanh but no erf, which is why the approximation and not the exact form.
 */
export function gelu_forward(out: Floats, inp: Floats, s: Span, M: number): void {
  for (let b = 0; b < s.B; b++) {
    for (let t = s.lo[b]; t < s.hi[b]; t++) {
      const o = (b * s.T + t) * M;
      for (let i = 0; i < M; i++) {
        const x = inp[o + i];
        out[o + i] = 0.5 * x * (1 + Math.tanh(GELU_SCALING_FACTOR * (x + GELU_CUBIC * x * x * x)));
      }
    }
  }
}

/** sech² written as 1 − tanh² (llm.c's 1/cosh² overflows for large |x|). */
export function gelu_backward(dinp: Floats, inp: Floats, dout: Floats, s: Span, M: number): void {
  for (let b = 0; b < s.B; b++) {
    for (let t = 0; t < s.hi[b]; t++) {
      const o = (b * s.T + t) * M;
      for (let i = 0; i < M; i++) {
        const x = inp[o + i];
        const th = Math.tanh(GELU_SCALING_FACTOR * (x + GELU_CUBIC * x * x * x));
        const sech2 = 1 - th * th;
        const local = 0.5 * (1 + th) + 0.5 * x * sech2 * GELU_SCALING_FACTOR * (1 + 3 * GELU_CUBIC * x * x);
        dinp[o + i] += local * dout[o + i];
      }
    }
  }
}

// ------------------------------------------------------------------ residual

/**
 * out = inp1 + inp2. Its backward is the identity into both inputs, which the
 * model does without a kernel: the residual stream's gradient buffer flows on
 * unchanged and each branch's backward adds its part into it (model.ts).
 */
export function residual_forward(out: Floats, inp1: Floats, inp2: Floats, s: Span, C: number): void {
  for (let b = 0; b < s.B; b++) {
    for (let t = s.lo[b]; t < s.hi[b]; t++) {
      const o = (b * s.T + t) * C;
      for (let i = 0; i < C; i++) out[o + i] = inp1[o + i] + inp2[o + i];
    }
  }
}

// ------------------------------------------------------------------ output softmax

/**
 * probs = softmax(logits / temperature) per position, logZ = log Σ exp(z/T),
 * so log π(j) = z_j / T − logZ.
 */
export function softmax_forward(probs: Floats, logZ: Float64Array, logits: Floats, s: Span, V: number, temperature: number): void {
  const row = new Float64Array(V);
  for (let b = 0; b < s.B; b++) {
    for (let t = s.lo[b]; t < s.hi[b]; t++) {
      const bt = b * s.T + t;
      const z = bt * V;
      let max = -Infinity;
      for (let j = 0; j < V; j++) if (logits[z + j] > max) max = logits[z + j];
      let sum = 0;
      for (let j = 0; j < V; j++) {
        const e = Math.exp((logits[z + j] - max) / temperature);
        row[j] = e;
        sum += e;
      }
      for (let j = 0; j < V; j++) probs[z + j] = row[j] / sum;
      logZ[bt] = max / temperature + Math.log(sum);
    }
  }
}

/**
 * dlogits += (u / T) · (onehot(target) − π) for the upstream u = ∂L/∂log π(target)
 * at each scored position (target ≥ 0, u ≠ 0); llm.c's crossentropy_softmax_backward
 * is the case u = −1/N.
 */
export function logsoftmax_backward(dlogits: Floats, dLogProb: ArrayLike<number>, targets: Int32Array, probs: Floats, s: Span, V: number, temperature: number): void {
  for (let b = 0; b < s.B; b++) {
    for (let t = 0; t < s.hi[b]; t++) {
      const bt = b * s.T + t;
      const a = targets[bt];
      const u = dLogProb[bt];
      if (a < 0 || u === 0) continue;
      const z = bt * V;
      const k = u / temperature;
      for (let j = 0; j < V; j++) dlogits[z + j] -= k * probs[z + j];
      dlogits[z + a] += k;
    }
  }
}
