// layernorm_backward (ops.ts), one dispatch with two kinds of invocation:
// [0, rows) each own a row of dinp: dx = rstd·(g − mean(g) − n·mean(g⊙n)) with
// n = (x − mean)·rstd, g = weight⊙dout; [rows, rows + C) each own a channel of
// dweight (Σ n·dout) and dbias (Σ dout), summed over rows in row order. Both
// only read the inputs, so they need no barrier between them. Adds into the
// gradients (callers zero them; dinp may already hold the residual's).

struct Params {
  rows: u32,
  channels: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> inp: array<f32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read> mean: array<f32>;
@group(0) @binding(5) var<storage, read> rstd: array<f32>;
@group(0) @binding(6) var<storage, read_write> dinp: array<f32>;
@group(0) @binding(7) var<storage, read_write> dweight: array<f32>;
@group(0) @binding(8) var<storage, read_write> dbias: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = flat_index(gid, nwg);
  let C = params.channels;
  if (n < params.rows) {
    let x = n * C;
    let m = mean[n];
    let s = rstd[n];
    var g_mean = 0.0;
    var gn_mean = 0.0;
    for (var i = 0u; i < C; i++) {
      let nx = (inp[x + i] - m) * s;
      let g = weight[i] * dout[x + i];
      g_mean += g;
      gn_mean += g * nx;
    }
    g_mean /= f32(C);
    gn_mean /= f32(C);
    for (var i = 0u; i < C; i++) {
      let nx = (inp[x + i] - m) * s;
      let g = weight[i] * dout[x + i];
      dinp[x + i] += (g - g_mean - nx * gn_mean) * s;
    }
    return;
  }
  let i = n - params.rows;
  if (i >= C) {
    return;
  }
  var dw = 0.0;
  var db = 0.0;
  for (var r = 0u; r < params.rows; r++) {
    let d = dout[r * C + i];
    dw += (inp[r * C + i] - mean[r]) * rstd[r] * d;
    db += d;
  }
  dweight[i] += dw;
  dbias[i] += db;
}
