/**
 * One streaming pass of the statistics over a range of shards: sequential
 * chunk reads (the next chunk is read while the current one is summarised),
 * every layer's CLS and patch populations, and the per-position norms. Pass 1
 * needs nothing; pass 2 needs pass 1's merged means. Results of passes over
 * disjoint shard ranges merge with `mergeStats`.
 */
import { FilePool } from '../util/file-pool.js';
import { getImgsPerChunk, type ShardDir } from '../shards/shard-dir.js';
import {
  addCentredNorms,
  addPass2Fields,
  addTokens,
  makePopulation,
  mergePopulation,
  Population,
} from './population.js';
import { StatsMemory } from './stats-memory.js';

export interface LayerStats {
  cls: Population | null;
  patches: Population;
  /** Σ‖x‖ and finite-token count per stored token position t (t = 0 is CLS when present). */
  posSumNorm_T: Float64Array;
  posCount_T: Float64Array;
}

export interface PassOptions {
  /** Shards `[shard0, shard1)`. */
  shard0: number;
  shard1: number;
  pass: 1 | 2;
  /** Pass 2: the merged result of pass 1 (its means are used; its other fields are kept). */
  prior?: LayerStats[];
  /**
   * Bytes per read (whole images, at least one); default 4 MiB, small enough to stay in cache between the read and the
   * sums.
   */
  chunkBytes?: number;
  /** Called with the images done after each chunk. */
  onImgs?: (n: number) => void;
}

export function makeLayerStats(sd: Pick<ShardDir, 'nLayers' | 'dVit' | 'clsToken' | 'nTokensPerImg'>): LayerStats[] {
  return Array.from({ length: sd.nLayers }, () => ({
    cls: sd.clsToken ? makePopulation(sd.dVit) : null,
    patches: makePopulation(sd.dVit),
    posSumNorm_T: new Float64Array(sd.nTokensPerImg),
    posCount_T: new Float64Array(sd.nTokensPerImg),
  }));
}

/** Merges `b` into `a` (same directory, disjoint tokens). */
export function mergeStats(a: LayerStats[], b: LayerStats[]): void {
  a.forEach((la, l) => {
    const lb = b[l];
    if (la.cls && lb.cls) mergePopulation(la.cls, lb.cls);
    mergePopulation(la.patches, lb.patches);
    for (let t = 0; t < la.posSumNorm_T.length; t++) {
      la.posSumNorm_T[t] += lb.posSumNorm_T[t];
      la.posCount_T[t] += lb.posCount_T[t];
    }
  });
}

export async function runStatsPass(sd: ShardDir, options: PassOptions): Promise<LayerStats[]> {
  const { nLayers: L, nTokensPerImg: T, dVit: D, nPatchesPerImg: P } = sd;
  const cls = sd.clsToken ? 1 : 0;
  const rowsPerChunk = getImgsPerChunk(sd, sd.bytesPerImg, options.chunkBytes ?? 4 << 20);
  // Pass 2 fills only the pass-2 fields of fresh stats (n = 0), so results of several jobs merge by addition.
  const stats = makeLayerStats(sd);
  if (options.pass === 2 && !options.prior) throw new Error('stats: pass 2 needs the merged result of pass 1');
  const chunks: Array<[number, number, number]> = [];
  for (let s = options.shard0; s < options.shard1; s++) {
    for (let r = 0; r < sd.shards[s].nImgs; r += rowsPerChunk)
      chunks.push([s, r, Math.min(sd.shards[s].nImgs, r + rowsPerChunk)]);
  }
  const pool = new FilePool(4);
  // Chunks are read into `mem`, where the kernels see them: two read buffers, alternating, so chunk
  // c + 1 is read while chunk c is summarised.
  const maxTokens = rowsPerChunk * Math.max(P, 1); // a kernel call sums one layer's patch tokens, or its CLS tokens
  const mem = new StatsMemory(D, maxTokens, rowsPerChunk * sd.bytesPerImg, sd.dtype);
  const norms = new Float64Array(maxTokens);
  const read = ([s, r0, r1]: [number, number, number], i: number) => {
    const [position, length] = [r0 * sd.bytesPerImg, (r1 - r0) * sd.bytesPerImg];
    return pool
      .read(sd.shards[s].path, position, length, mem.reads[i].getTarget(position, length))
      .then((bytes) => mem.decode(bytes, i));
  };
  /** Points `mem.offsets` at each row's patch tokens (or CLS token) of layer slot l; returns the token count. */
  const setOffsets = (l: number, nRows: number, which: 'patches' | 'cls') => {
    const offsets = mem.offsets;
    for (let r = 0; r < nRows; r++) {
      const row = (r * L + l) * T * D;
      if (which === 'cls') offsets[r] = row;
      else for (let p = 0; p < P; p++) offsets[r * P + p] = row + (cls + p) * D;
    }
    return which === 'cls' ? nRows : nRows * P;
  };
  try {
    let next = chunks.length ? read(chunks[0], 0) : null;
    for (let c = 0; c < chunks.length; c++) {
      const vals = await next!;
      next = c + 1 < chunks.length ? read(chunks[c + 1], (c + 1) % 2) : null;
      const nRows = chunks[c][2] - chunks[c][1];
      for (let l = 0; l < L; l++) {
        const ls = stats[l];
        if (options.pass === 1) {
          addTokens(ls.patches, mem, vals, setOffsets(l, nRows, 'patches'), norms);
          addPositions(ls, norms, nRows, P, cls);
          if (ls.cls) {
            addTokens(ls.cls, mem, vals, setOffsets(l, nRows, 'cls'), norms);
            addPositions(ls, norms, nRows, 1, 0);
          }
        } else {
          const prior = options.prior![l];
          addCentredNorms(ls.patches, mem, vals, setOffsets(l, nRows, 'patches'), prior.patches.mean_D);
          if (ls.cls) addCentredNorms(ls.cls, mem, vals, setOffsets(l, nRows, 'cls'), prior.cls!.mean_D);
        }
      }
      options.onImgs?.(nRows);
    }
  } finally {
    await pool.close();
  }
  return stats;
}

function addPositions(ls: LayerStats, norms: Float64Array, nRows: number, perRow: number, firstPos: number): void {
  for (let r = 0; r < nRows; r++) {
    for (let p = 0; p < perRow; p++) {
      const norm = norms[r * perRow + p];
      if (norm !== norm) continue;
      ls.posSumNorm_T[firstPos + p] += norm;
      ls.posCount_T[firstPos + p]++;
    }
  }
}

/** Moves pass-2 fields of `pass2` into the pass-1 result `into`. */
export function addPass2(into: LayerStats[], pass2: LayerStats[]): void {
  into.forEach((l, k) => {
    addPass2Fields(l.patches, pass2[k].patches);
    if (l.cls && pass2[k].cls) addPass2Fields(l.cls, pass2[k].cls!);
  });
}
