/**
 * The metadata an extraction writes, in the format `--format` chose: saev
 * 0.1.0's ten fields (src/shards/metadata.ts) or protocol 2.1's thirteen
 * (src/shards/metadata-v21.ts, with the dataset config pickled by
 * src/data/saev-data-config.ts). Everything but the dataset description and
 * the family name is the same in both.
 */
import type { ImageDataset } from '../data/dataset.js';
import {
  encodeSaevDataConfig,
  formatSaevDataConfig,
  getSaevDataRoot,
  makeSaevDataConfig,
} from '../data/saev-data-config.js';
import { PROTOCOL_V21 } from '../shards/metadata-v21.js';
import { fromSeedMetadata, fromV21Metadata, ShardMetadata } from '../shards/shard-metadata.js';
import type { ModelShape, ValidExtractConfig } from './config.js';

export interface RunMetadata {
  metadata: ShardMetadata;
  /** A one-line description of the dataset config as the format records it (for sidecars and logs). */
  dataRepr: string;
}

export function makeRunMetadata(
  config: ValidExtractConfig,
  familyName: string,
  dataset: ImageDataset,
  shape: ModelShape,
  layers: number[],
): RunMetadata {
  if (config.format === 'saev-0.1') {
    const metadata = fromSeedMetadata({
      vit_family: familyName,
      vit_ckpt: config.vitCkpt,
      layers,
      n_patches_per_img: shape.nPatchesPerImg,
      cls_token: shape.clsToken,
      d_vit: shape.dVit,
      seed: config.seed,
      n_imgs: dataset.nImgs,
      n_patches_per_shard: config.nPatchesPerShard,
      data: dataset.repr,
      ...(config.dtype === 'float32' ? {} : { dtype: config.dtype }),
    });
    return { metadata, dataRepr: dataset.repr };
  }
  const saevData = makeSaevDataConfig(config);
  const metadata = fromV21Metadata({
    family: familyName,
    ckpt: config.vitCkpt,
    layers,
    content_tokens_per_example: shape.nPatchesPerImg,
    cls_token: shape.clsToken,
    d_model: shape.dVit,
    n_examples: dataset.nImgs,
    max_tokens_per_shard: config.nPatchesPerShard,
    data: encodeSaevDataConfig(saevData),
    dataset: getSaevDataRoot(saevData),
    pixel_agg: config.pixelAgg,
    dtype: 'float32',
    protocol: PROTOCOL_V21,
  });
  return { metadata, dataRepr: formatSaevDataConfig(saevData) };
}
