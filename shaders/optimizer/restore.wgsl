// End of an update: if the non-finite flag is up, put back the logits and Adam
// moments saved before the update (the step is undone on the device, so the
// next sample in the same submit already sees the last finite state), and
// report the flag in stats[5]. One invocation per parameter.

struct Params {
  count: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> control: array<atomic<u32>>;
// saved = [logits | adam_m | adam_v] as copied at the start of the update.
@group(0) @binding(2) var<storage, read> saved: array<f32>;
@group(0) @binding(3) var<storage, read_write> logits: array<f32>;
@group(0) @binding(4) var<storage, read_write> adam_m: array<f32>;
@group(0) @binding(5) var<storage, read_write> adam_v: array<f32>;
@group(0) @binding(6) var<storage, read_write> stats: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= params.count) {
    return;
  }
  let flag = atomicLoad(&control[0]);
  if (flag != 0u) {
    let P = params.count;
    logits[i] = saved[i];
    adam_m[i] = saved[P + i];
    adam_v[i] = saved[2u * P + i];
  }
  if (i == 0u) {
    stats[5] = f32(flag);
  }
}
