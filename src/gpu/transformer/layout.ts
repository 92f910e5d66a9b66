/**
 * The padded parameter layout the transformer's kernels bind on the GPU.
 *
 * The lane's state is one flat buffer in params.ts's layout (what the
 * optimizer and the CPU see), but a storage binding's offset must be a
 * multiple of 256 bytes, and the tensors of the flat layout are not. So the
 * model keeps its parameters (and the reference's, and its gradient) in a
 * second layout where each tensor of each layer starts at a multiple of 64
 * floats: pack_params.wgsl copies flat → padded (one dispatch for the policy
 * and the reference), unpack_grad.wgsl copies the gradient back (one
 * dispatch, with Σ g²). The same values in both: a copy, no arithmetic.
 */
import type { TransformerConfig } from '../../models/transformer/config.ts';
import { paramLayout, type ParamName } from '../../models/transformer/params.ts';

/** Floats per 256 bytes: the binding-offset alignment every WebGPU device guarantees. */
export const PAD_FLOATS = 64;

export interface PaddedSegment {
  name: ParamName;
  layer: number;
  /** Offset in the flat layout (floats). */
  flat: number;
  /** Offset in the padded layout (floats, a multiple of PAD_FLOATS). */
  padded: number;
  size: number;
}

export interface PaddedLayout {
  segments: PaddedSegment[];
  /** Floats of the padded buffer. */
  count: number;
  /** Floats of the flat buffer. */
  flatCount: number;
  /** [flat, padded, size, 0] per segment, flat order (the kernels' table). */
  table: Uint32Array;
  /** The segment of tensor `name`, layer `layer` (0 for the unlayered ones). */
  at(name: ParamName, layer?: number): PaddedSegment;
}

export function paddedLayout(cfg: TransformerConfig): PaddedLayout {
  const layout = paramLayout(cfg);
  const segments: PaddedSegment[] = [];
  let padded = 0;
  for (const t of layout.list) {
    if (t.perLayer === 0) continue;
    const layers = t.layered ? cfg.layers : 1;
    for (let l = 0; l < layers; l++) {
      segments.push({ name: t.name, layer: l, flat: t.offset + l * t.perLayer, padded, size: t.perLayer });
      padded += Math.ceil(t.perLayer / PAD_FLOATS) * PAD_FLOATS;
    }
  }
  const table = new Uint32Array(segments.length * 4);
  segments.forEach((s, i) => table.set([s.flat, s.padded, s.size, 0], i * 4));
  const byKey = new Map(segments.map((s) => [`${s.name}/${s.layer}`, s]));
  return {
    segments,
    count: padded,
    flatCount: layout.count,
    table,
    at(name, layer = 0) {
      const s = byKey.get(`${name}/${layer}`);
      if (!s) throw new Error(`no parameter segment ${name} layer ${layer}`);
      return s;
    },
  };
}
