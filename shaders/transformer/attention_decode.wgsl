// attention_forward for one decode step of sampling: the query is sequence
// n's new position pos = plen + position − 1 (qkv compact, [count][3C]); its
// key and value are first written to the cache, then the softmax over
// positions 0..pos and the weighted sum of values, every sum in position
// order as attention_forward.wgsl (so the same bits as a full forward).
// The cache of a layer is two regions: positions < prefix are the prompt
// forward's qkv ([count][prefix][3C], rows of a shorter prompt past its end
// overwritten here before any query reads them), later ones `ext`
// ([count][L][2][C]: k, v). One invocation per (sequence, head); out is
// compact [count][C].

struct Params {
  count: u32,
  heads: u32,
  channels: u32,
  prefix: u32,
  position: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> prompt_of: array<u32>;
@group(0) @binding(2) var<storage, read> prompts: array<u32>;
@group(0) @binding(3) var<storage, read> qkv: array<f32>;
@group(0) @binding(4) var<storage, read_write> cache: array<f32>;
@group(0) @binding(5) var<storage, read_write> ext: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;

// Index of channel c of k (w = 1) or v (w = 2) at position pos of sequence n, and whether it is in `ext`.
fn at(n: u32, pos: u32, w: u32, c: u32) -> vec2<u32> {
  let C = params.channels;
  let S0 = params.prefix;
  if (pos < S0) {
    return vec2<u32>((n * S0 + pos) * 3u * C + w * C + c, 0u);
  }
  return vec2<u32>(((n * L + pos - S0) * 2u + w - 1u) * C + c, 1u);
}

fn load(n: u32, pos: u32, w: u32, c: u32) -> f32 {
  let a = at(n, pos, w, c);
  if (a.y == 0u) {
    return cache[a.x];
  }
  return ext[a.x];
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = flat_index(gid, nwg);
  let NH = params.heads;
  let N = params.count;
  if (e >= N * NH) {
    return;
  }
  let C = params.channels;
  let n = e / NH;
  let h = e % NH;
  let pos = prompts[PROMPTS + prompt_of[n]] + params.position - 1u;
  let src = n * 3u * C + h * TF_HS;
  for (var i = 0u; i < TF_HS; i++) {
    for (var w = 1u; w <= 2u; w++) {
      let a = at(n, pos, w, h * TF_HS + i);
      let x = qkv[src + w * C + i];
      if (a.y == 0u) {
        cache[a.x] = x;
      } else {
        ext[a.x] = x;
      }
    }
  }
  var q: array<f32, TF_HS>;
  for (var i = 0u; i < TF_HS; i++) {
    q[i] = qkv[src + i];
  }
  var row: array<f32, TF_T>;
  var mx = 0.0;
  for (var t2 = 0u; t2 <= pos; t2++) {
    var dot = 0.0;
    for (var i = 0u; i < TF_HS; i++) {
      dot += q[i] * load(n, t2, 1u, h * TF_HS + i);
    }
    dot *= params.scale;
    row[t2] = dot;
    if (t2 == 0u || dot > mx) {
      mx = dot;
    }
  }
  var sum = 0.0;
  for (var t2 = 0u; t2 <= pos; t2++) {
    let x = exp(row[t2] - mx);
    row[t2] = x;
    sum += x;
  }
  for (var t2 = 0u; t2 <= pos; t2++) {
    row[t2] = row[t2] / sum;
  }
  let y = n * C + h * TF_HS;
  for (var i = 0u; i < TF_HS; i++) {
    var acc = 0.0;
    for (var t2 = 0u; t2 <= pos; t2++) {
      acc += row[t2] * load(n, t2, 2u, h * TF_HS + i);
    }
    out[y + i] = acc;
  }
}
