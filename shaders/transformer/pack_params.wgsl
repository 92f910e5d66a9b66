// The flat parameters (and the frozen reference) into the padded layout the
// other kernels bind (src/gpu/transformer/layout.ts): each tensor of each
// layer starts at a multiple of 64 floats, the 256 bytes a storage binding's
// offset must be a multiple of. One invocation per flat parameter; segments
// are [flat offset, padded offset, size] in flat order, found by binary search.
// A plain copy: the same bits in both layouts.

struct Params {
  count: u32,
  segments: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> segs: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> flat_params: array<f32>;
@group(0) @binding(3) var<storage, read> flat_ref: array<f32>;
@group(0) @binding(4) var<storage, read_write> padded_params: array<f32>;
@group(0) @binding(5) var<storage, read_write> padded_ref: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= params.count) {
    return;
  }
  // The last segment whose flat offset is ≤ i.
  var low = 0u;
  var high = params.segments;
  while (high - low > 1u) {
    let mid = (low + high) / 2u;
    if (segs[mid].x <= i) {
      low = mid;
    } else {
      high = mid;
    }
  }
  let s = segs[low];
  let at = s.y + (i - s.x);
  padded_params[at] = flat_params[i];
  padded_ref[at] = flat_ref[i];
}
