// Per-parameter gradient reduction without float atomics: the sum over every
// visit of a (row, token) cell of the upstream u, of |u| (for the CANCEL_EPS
// rule) and, per row, of the entropy weight. One invocation owns every row of
// one (prompt, position) - one row, or V rows (one per previous token) for the
// autoregressive kind - and walks that prompt's answers in a fixed order
// (order / prompt_start, built by the host from prompt_of), so each sum is
// computed in the same order on every run, compensated to ~1 ulp.
// cells[row*V + j] = (Σu, its compensation, Σ|u|, its compensation); row_entropy[row] = (Σ, compensation).

struct Params {
  count: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> prompt_start: array<u32>;
@group(0) @binding(2) var<storage, read> order: array<u32>;
// batch = [prompt of each answer (count) | length (count) | tokens (count × L)], one buffer
// so kernels stay within 8 storage buffers per stage (WebGPU's default limit).
@group(0) @binding(3) var<storage, read> batch: array<u32>;
@group(0) @binding(4) var<storage, read> visit_grad: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> cells: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> row_entropy: array<vec2<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  df_one = f32(nwg.z); // see df64.wgsl: keeps the compensated sums compensated
  let owner = flat_index(gid, nwg);
  if (owner >= PROMPTS * L) {
    return;
  }
  let p = owner / L;
  let t = owner % L;
  let first_row = row_index(p, t, 0u);
  let owned_rows = select(1u, V, AUTOREGRESSIVE);
  for (var r = first_row; r < first_row + owned_rows; r++) {
    for (var j = 0u; j < V; j++) {
      cells[r * V + j] = vec4<f32>(0.0);
    }
    row_entropy[r] = vec2<f32>(0.0);
  }
  for (var i = prompt_start[p]; i < prompt_start[p + 1u]; i++) {
    let n = order[i];
    if (t >= batch[params.count + n]) {
      continue;
    }
    let v = n * L + t;
    let prev = select(batch[2u * params.count + v - 1u], EOS, t == 0u);
    let r = row_index(p, t, prev);
    let cell = r * V + batch[2u * params.count + v];
    let g = visit_grad[v];
    let acc = cells[cell];
    let c = comp_add(acc.xy, g.x);
    let a = comp_add(acc.zw, abs(g.x));
    cells[cell] = vec4<f32>(c, a);
    row_entropy[r] = comp_add(row_entropy[r], g.y);
  }
}
