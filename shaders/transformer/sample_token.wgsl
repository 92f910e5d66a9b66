// One answer position of autoregressive sampling: after a forward over the
// contexts so far (build_context.wgsl with `generated` = position), draws the
// token at `position` of every unfinished answer from π at row
// n·seq_len + start + position by inverse CDF, with the counter-based draw
// keyed by (seed, stream, step, answer, position): decode() in
// src/models/transformer/sampling.ts. The running sum is double-float, as the
// CPU's f64 sum of the same probabilities (they differ from the CPU's only by
// the forward's rounding). An answer ends at EOS or after L tokens; later
// positions hold EOS. Position 0 also writes the prompt of each answer and
// clears its length (0: not finished). With `compact`, probs are a decode
// step's, one row per answer. One invocation per answer.

struct Params {
  seed: u32,
  stream: u32,
  step: u32,
  count: u32,
  seq_len: u32,
  position: u32,
  // 1: probs are compact, [count][V] (a decode step's), else [count][seq_len][V].
  compact: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> prompt_of: array<u32>;
@group(0) @binding(2) var<storage, read> prompts: array<u32>;
@group(0) @binding(3) var<storage, read> probs: array<f32>;
@group(0) @binding(4) var<storage, read_write> batch: array<u32>;

const EOS: u32 = 0u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  df_one = f32(nwg.z); // see df64.wgsl: an opaque 1.0 keeps the error-free transforms exact
  let n = flat_index(gid, nwg);
  let N = params.count;
  if (n >= N) {
    return;
  }
  let t = params.position;
  let at = 2u * N + n * L + t;
  let p = prompt_of[n];
  if (t == 0u) {
    batch[n] = p;
    batch[N + n] = 0u;
  } else if (batch[N + n] != 0u) {
    batch[at] = EOS;
    return;
  }
  let start = prompts[PROMPTS + p] - 1u;
  var z = (n * params.seq_len + start + t) * V;
  if (params.compact != 0u) {
    z = n * V;
  }
  let u = vec2<f32>(u32_to_unit(draw_u32(params.seed, params.stream, params.step, n, t)), 0.0);
  var acc = vec2<f32>(0.0, 0.0);
  var last = 0u;
  var tok = V;
  for (var j = 0u; j < V; j++) {
    let pj = probs[z + j];
    if (pj > 0.0) {
      last = j;
    }
    acc = df_add(acc, vec2<f32>(pj, 0.0));
    if (df_lt(u, acc)) {
      tok = j;
      break;
    }
  }
  if (tok == V) {
    tok = last;
  }
  batch[at] = tok;
  if (tok == EOS || t == L - 1u) {
    batch[N + n] = t + 1u;
  }
}
