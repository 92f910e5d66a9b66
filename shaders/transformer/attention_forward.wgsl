// attention_forward (ops.ts): one invocation per (sequence, head, query
// position), reading q, k and v from storage (no workgroup memory and no
// barrier: a software renderer runs them as fiber switches, and a workgroup
// per (sequence, head) left most of its invocations idle at T ≤ 12). Each
// query row: causal scores, softmax, and the weighted sum of values, every
// sum in position order as ops.ts. att keeps each softmax row for the
// backward ([B][NH][T][T], zeros above the diagonal).

struct Params {
  batch: u32,
  seq_len: u32,
  heads: u32,
  channels: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> inp: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> att: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = flat_index(gid, nwg);
  let NH = params.heads;
  let T = params.seq_len;
  if (e >= params.batch * NH * T) {
    return;
  }
  let C = params.channels;
  let t = e % T;
  let bh = e / T;
  let b = bh / NH;
  let h = bh % NH;
  let qi = (b * T + t) * 3u * C + h * TF_HS;
  var q: array<f32, TF_HS>;
  for (var i = 0u; i < TF_HS; i++) {
    q[i] = inp[qi + i];
  }
  var row: array<f32, TF_T>;
  var mx = 0.0;
  for (var t2 = 0u; t2 <= t; t2++) {
    let ki = (b * T + t2) * 3u * C + C + h * TF_HS;
    var dot = 0.0;
    for (var i = 0u; i < TF_HS; i++) {
      dot += q[i] * inp[ki + i];
    }
    dot *= params.scale;
    row[t2] = dot;
    if (t2 == 0u || dot > mx) {
      mx = dot;
    }
  }
  var sum = 0.0;
  for (var t2 = 0u; t2 <= t; t2++) {
    let x = exp(row[t2] - mx);
    row[t2] = x;
    sum += x;
  }
  let a = ((b * NH + h) * T + t) * T;
  for (var t2 = 0u; t2 <= t; t2++) {
    row[t2] = row[t2] / sum;
    att[a + t2] = row[t2];
  }
  for (var t2 = t + 1u; t2 < T; t2++) {
    att[a + t2] = 0.0;
  }
  let y = (b * T + t) * C + h * TF_HS;
  for (var i = 0u; i < TF_HS; i++) {
    var acc = 0.0;
    for (var t2 = 0u; t2 <= t; t2++) {
      acc += row[t2] * inp[(b * T + t2) * 3u * C + 2u * C + h * TF_HS + i];
    }
    out[y + i] = acc;
  }
}
