// From accumulated coefficients to the logit gradient of every row
// (TableModel.backward in src/engine/policies/table.ts): g_j = (c_j - C π_j) / T, plus the entropy bonus
// e π_j (log π_j + H) / T, after the CANCEL_EPS rule (a coefficient or row
// total within CANCEL_EPS of its terms' magnitude is rounding noise and is set
// to exactly 0, so Adam cannot amplify it differently than the CPU does).
// One invocation per row; rows no batch visited get exactly 0.
// For the most probable token, 1 - π and C - c are formed from the other
// terms, not by subtraction: near convergence π → 1 and f32 would lose them.

struct Params {
  temperature: f32,
  cancel_eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> rows: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> cells: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> row_entropy: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> grad: array<f32>;
// (Σ_j g_j², 0, 0, 0), reduced to the global norm by reduce.wgsl.
@group(0) @binding(6) var<storage, read_write> row_sq: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  df_one = f32(nwg.z); // see df64.wgsl: keeps the compensated sums compensated
  let r = flat_index(gid, nwg);
  if (r >= ROWS) {
    return;
  }
  let T = params.temperature;
  let eps = params.cancel_eps;
  let base = r * V;
  let st = rows[r];
  var c: array<f32, V>;
  var total = vec2<f32>(0.0);
  var magnitude = vec2<f32>(0.0);
  var top = 0u;
  for (var j = 0u; j < V; j++) {
    let cell = cells[base + j];
    var cj = cell.x + cell.y;
    let aj = cell.z + cell.w;
    if (abs(cj) <= eps * aj) {
      cj = 0.0;
    }
    c[j] = cj;
    total = comp_add(total, cj);
    magnitude = comp_add(magnitude, aj);
    if (logits[base + j] > logits[base + top]) {
      top = j;
    }
  }
  var C = total.x + total.y;
  if (abs(C) <= eps * (magnitude.x + magnitude.y)) {
    C = 0.0;
  }
  var others_weight = vec2<f32>(0.0);
  var others_coef = vec2<f32>(0.0);
  for (var j = 0u; j < V; j++) {
    if (j != top) {
      others_weight = comp_add(others_weight, exp(scaled_logit(logits[base + j], st.x, T)));
      others_coef = comp_add(others_coef, c[j]);
    }
  }
  let e = row_entropy[r].x + row_entropy[r].y;
  var sq = 0.0;
  for (var j = 0u; j < V; j++) {
    let x = scaled_logit(logits[base + j], st.x, T);
    let p = exp(x) / st.y;
    var g: f32;
    if (j == top && C != 0.0) {
      g = c[j] * ((others_weight.x + others_weight.y) / st.y) - (others_coef.x + others_coef.y) * p;
    } else {
      g = c[j] - C * p;
    }
    g = g / T;
    if (e != 0.0) {
      g += (e * p * ((x - st.z) + st.w)) / T;
    }
    grad[base + j] = g;
    sq += g * g;
  }
  row_sq[r] = vec4<f32>(sq, 0.0, 0.0, 0.0);
}
