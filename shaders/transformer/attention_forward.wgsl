// attention_forward (ops.ts), fused: one workgroup per (sequence, head). The
// head's q, k and v for the whole sequence are staged in workgroup memory
// (TF_T positions × TF_HS channels each, from the generated header), then
// each invocation takes whole query rows: causal scores, softmax, and the
// weighted sum of values, every sum in position order as ops.ts. att keeps
// each softmax row for the backward ([B][NH][T][T], zeros above the diagonal).

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

const ATT_WG: u32 = 64u;
var<workgroup> q_s: array<f32, TF_T * TF_HS>;
var<workgroup> k_s: array<f32, TF_T * TF_HS>;
var<workgroup> v_s: array<f32, TF_T * TF_HS>;

@compute @workgroup_size(ATT_WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let w = wid.x + wid.y * nwg.x;
  let NH = params.heads;
  if (w >= params.batch * NH) {
    return;
  }
  let T = params.seq_len;
  let C = params.channels;
  let b = w / NH;
  let h = w % NH;
  for (var n = lid.x; n < T * TF_HS; n += ATT_WG) {
    let t = n / TF_HS;
    let src = (b * T + t) * 3u * C + h * TF_HS + n % TF_HS;
    q_s[n] = inp[src];
    k_s[n] = inp[src + C];
    v_s[n] = inp[src + 2u * C];
  }
  workgroupBarrier();
  var row: array<f32, TF_T>;
  for (var t = lid.x; t < T; t += ATT_WG) {
    var mx = 0.0;
    for (var t2 = 0u; t2 <= t; t2++) {
      var dot = 0.0;
      for (var i = 0u; i < TF_HS; i++) {
        dot += q_s[t * TF_HS + i] * k_s[t2 * TF_HS + i];
      }
      dot *= params.scale;
      row[t2] = dot;
      if (t2 == 0u || dot > mx) {
        mx = dot;
      }
    }
    var sum = 0.0;
    for (var t2 = 0u; t2 <= t; t2++) {
      let e = exp(row[t2] - mx);
      row[t2] = e;
      sum += e;
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
        acc += row[t2] * v_s[t2 * TF_HS + i];
      }
      out[y + i] = acc;
    }
  }
}
