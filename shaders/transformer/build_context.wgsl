// The model's input from a batch of answers (the seam's batch layout) and the
// prompt table: row n of [count][seq_len] is prompt + separator + answer
// without its last token, then padding (token 0, never read by a real
// position: attention is causal). targets[n][start + k] = answer token k for
// k < length, −1 elsewhere, with start = the separator's position (it
// predicts the first answer token), as packSequences in model.ts.
// With `generated` < L (sampling), the answer is the first `generated`
// tokens drawn so far and the lengths are not read. One invocation per position.
//
// prompts = [offset of each prompt (PROMPTS) | its length with the separator (PROMPTS) | tokens].

struct Params {
  count: u32,
  seq_len: u32,
  generated: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> batch: array<u32>;
// The prompt of each answer: the batch's own first part, or (sampling) the
// prompts the answers are being drawn for, before sample_token writes them.
@group(0) @binding(2) var<storage, read> prompt_of: array<u32>;
@group(0) @binding(3) var<storage, read> prompts: array<u32>;
@group(0) @binding(4) var<storage, read_write> tokens: array<i32>;
@group(0) @binding(5) var<storage, read_write> targets: array<i32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  let T = params.seq_len;
  let N = params.count;
  if (i >= N * T) {
    return;
  }
  let n = i / T;
  let pos = i % T;
  let p = prompt_of[n];
  let plen = prompts[PROMPTS + p];
  let answer = 2u * N + n * L;
  var len = L;
  var known = L - 1u;
  if (params.generated < L) {
    known = params.generated;
  } else {
    len = batch[N + n];
    known = max(len, 1u) - 1u;
  }
  var tok = 0i;
  if (pos < plen) {
    tok = i32(prompts[prompts[p] + pos]);
  } else if (pos - plen < known) {
    tok = i32(batch[answer + pos - plen]);
  }
  tokens[i] = tok;
  var goal = -1i;
  let start = plen - 1u;
  if (params.generated >= L && pos >= start && pos - start < len) {
    goal = i32(batch[answer + pos - start]);
  }
  targets[i] = goal;
}
