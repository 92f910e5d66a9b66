// attention_backward (ops.ts), fused per (sequence, head) in the order ops.ts
// states it. Stage q, k, v and dout of the head in workgroup memory; each
// invocation takes query rows for the softmax backward,
//   dpre[t][t2] = att ⊙ (datt − Σ att ⊙ datt), datt[t][t2] = v[t2]·dout[t],
// kept in workgroup memory; then each invocation takes (position, channel)
// elements: dq[t] = scale Σ_{t2≤t} dpre[t][t2] k[t2], dk[t2] = scale Σ_{t≥t2} dpre[t][t2] q[t],
// dv[t2] = Σ_{t≥t2} att[t][t2] dout[t]. Each element is one sum in position
// order, owned by one invocation: no atomics. Adds into dinp ([B][T][3C]).

struct Params {
  batch: u32,
  seq_len: u32,
  heads: u32,
  channels: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> inp: array<f32>;
@group(0) @binding(2) var<storage, read> att: array<f32>;
@group(0) @binding(3) var<storage, read> dout: array<f32>;
@group(0) @binding(4) var<storage, read_write> dinp: array<f32>;

const ATT_WG: u32 = 16u;
var<workgroup> q_s: array<f32, TF_T * TF_HS>;
var<workgroup> k_s: array<f32, TF_T * TF_HS>;
var<workgroup> v_s: array<f32, TF_T * TF_HS>;
var<workgroup> dy_s: array<f32, TF_T * TF_HS>;
var<workgroup> dpre: array<f32, TF_T * TF_T>;

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
    let i = n % TF_HS;
    let src = (b * T + t) * 3u * C + h * TF_HS + i;
    q_s[n] = inp[src];
    k_s[n] = inp[src + C];
    v_s[n] = inp[src + 2u * C];
    dy_s[n] = dout[(b * T + t) * C + h * TF_HS + i];
  }
  workgroupBarrier();
  let att_base = (b * NH + h) * T * T;
  for (var t = lid.x; t < T; t += ATT_WG) {
    let a = att_base + t * T;
    var dot = 0.0;
    for (var t2 = 0u; t2 <= t; t2++) {
      var d = 0.0;
      for (var i = 0u; i < TF_HS; i++) {
        d += v_s[t2 * TF_HS + i] * dy_s[t * TF_HS + i];
      }
      dpre[t * TF_T + t2] = d;
      dot += att[a + t2] * d;
    }
    for (var t2 = 0u; t2 <= t; t2++) {
      dpre[t * TF_T + t2] = att[a + t2] * (dpre[t * TF_T + t2] - dot);
    }
  }
  workgroupBarrier();
  for (var n = lid.x; n < T * TF_HS; n += ATT_WG) {
    let t = n / TF_HS;
    let i = n % TF_HS;
    let dst = (b * T + t) * 3u * C + h * TF_HS + i;
    var dq = 0.0;
    for (var t2 = 0u; t2 <= t; t2++) {
      dq += dpre[t * TF_T + t2] * k_s[t2 * TF_HS + i];
    }
    // Here t plays t2 of the formulas above: the key and value at position t.
    var dk = 0.0;
    var dv = 0.0;
    for (var tq = t; tq < T; tq++) {
      dk += dpre[tq * TF_T + t] * q_s[tq * TF_HS + i];
      dv += att[att_base + tq * T + t] * dy_s[tq * TF_HS + i];
    }
    dinp[dst] += params.scale * dq;
    dinp[dst + C] += params.scale * dk;
    dinp[dst + 2u * C] += dv;
  }
}
