/**
 * Dumps items of our reader, in every (patches, layer) mode, as one JSON
 * document on stdout, for scripts/saev-interop.py to compare with saev's own
 * `Dataset`. Usage (after `npm run build`):
 *
 *   node dist/scripts/dump-reader-items.js <shard-dir> [max-items-per-mode]
 *
 * Indices: all items when a mode has at most `max` (default 3000), else an
 * even spread that includes 0, the last index and both sides of every shard
 * boundary.
 */
import { ActivationsDataset } from '../src/reader/dataset.js';
import { LayerMode, PATCH_MODES } from '../src/reader/modes.js';
import { openShardDir } from '../src/shards/shard-dir.js';

function pickIndices(length: number, max: number, boundaries: number[]): number[] {
  if (length <= max) return Array.from({ length }, (_, i) => i);
  const set = new Set<number>([0, length - 1]);
  for (const b of boundaries) for (const i of [b - 1, b]) if (i >= 0 && i < length) set.add(i);
  for (let k = 0; set.size < max && k < max; k++) set.add(Math.floor((k * (length - 1)) / (max - 1)));
  return [...set].sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const [dir, maxText] = process.argv.slice(2);
  if (!dir) throw new Error('usage: dump-reader-items <shard-dir> [max-items-per-mode]');
  const max = Number(maxText ?? 3000);
  const sd = await openShardDir(dir);
  const modes: Array<Record<string, unknown>> = [];
  for (const patches of PATCH_MODES) {
    for (const layer of [...sd.metadata.layers, 'all', 'meanpool'] as LayerMode[]) {
      let ds: ActivationsDataset;
      try {
        ds = await ActivationsDataset.open(dir, { patches, layer });
      } catch (error) {
        modes.push({ patches, layer, error: (error as Error).message });
        continue;
      }
      const perImg = ds.nItemsPerImg;
      const boundaries = sd.shards.map((_, k) => k * sd.nImgsPerShard * perImg);
      const indices = pickIndices(ds.length, max, boundaries);
      const b = await ds.getBatch(indices);
      const acts = Array.from({ length: b.n }, (_, i) => Array.from(b.acts_BD.subarray(i * b.dVit, (i + 1) * b.dVit)));
      modes.push({
        patches,
        layer,
        length: ds.length,
        indices,
        acts,
        imageI: [...b.imageI],
        patchI: [...b.patchI],
        layerI: [...b.layerI],
      });
      await ds.close();
    }
  }
  process.stdout.write(JSON.stringify({ dir, metadataHash: sd.metadataHash, modes }) + '\n');
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
