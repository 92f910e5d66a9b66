// The gradient the backward kernels added into the padded layout, back to
// the flat layout the optimizer sees, and Σ g² for the gradient norm: one
// invocation per CHUNK consecutive flat parameters, summing their squares in
// index order into terms[chunk].x (the backend then reduces the terms in a
// fixed order). Segments as in pack_params.wgsl.

struct Params {
  count: u32,
  segments: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> segs: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> padded_grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> terms: array<vec4<f32>>;

const CHUNK: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = flat_index(gid, nwg);
  let first = c * CHUNK;
  if (first >= params.count) {
    return;
  }
  var low = 0u;
  var high = params.segments;
  while (high - low > 1u) {
    let mid = (low + high) / 2u;
    if (segs[mid].x <= first) {
      low = mid;
    } else {
      high = mid;
    }
  }
  var seg = low;
  var sq = 0.0;
  let last = min(first + CHUNK, params.count);
  for (var i = first; i < last; i++) {
    while (seg + 1u < params.segments && segs[seg + 1u].x <= i) {
      seg++;
    }
    let s = segs[seg];
    let g = padded_grad[s.y + (i - s.x)];
    grad[i] = g;
    sq += g * g;
  }
  terms[c] = vec4<f32>(sq, 0.0, 0.0, 0.0);
}
