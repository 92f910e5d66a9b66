// Exact KL(π ‖ π_ref) and entropy of the states a measurement batch visits
// (CpuBackend.measure, used by DPO and SFT). One invocation per answer;
// terms[n] = (0, 0, Σ KL of the rows it visits, Σ entropy of those rows).

struct Params {
  count: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> rows: array<vec4<f32>>;
// batch = [prompt of each answer (count) | length (count) | tokens (count × L)], one buffer
// so kernels stay within 8 storage buffers per stage (WebGPU's default limit).
@group(0) @binding(2) var<storage, read> batch: array<u32>;
@group(0) @binding(3) var<storage, read_write> terms: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = flat_index(gid, nwg);
  if (n >= params.count) {
    return;
  }
  let p = batch[n];
  let len = batch[params.count + n];
  var prev = EOS;
  var sums = vec4<f32>(0.0);
  for (var t = 0u; t < len; t++) {
    let r = row_index(p, t, prev);
    sums += vec4<f32>(0.0, 0.0, rows[ROWS + r].z, rows[r].w);
    prev = batch[2u * params.count + n * L + t];
  }
  terms[n] = sums;
}
