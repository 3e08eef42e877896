/**
 * The output-format flags of `activations extract`: which saev on-disk
 * format to write (src/shards/shard-metadata.ts) and, for segmentation data,
 * how pixel labels become patch labels. No tensor code.
 */
import { Flags } from '@oclif/core';
import { PIXEL_AGGS } from '../shards/metadata-v21.js';
import { SHARD_FORMATS } from '../shards/shard-metadata.js';

export const formatFlags = {
  format: Flags.string({
    summary:
      "On-disk format: saev-0.1 (saev 0.1.0's, <dump-to>/<sha256>/) or saev-2.1 (today's saev, protocol 2.1: <dump-to>/saev/shards/<8 hex>/, float32 only).",
    options: [...SHARD_FORMATS],
    default: 'saev-0.1',
  }),
  'pixel-agg': Flags.string({
    summary:
      'Segmentation data (ade20k): how pixel labels become one label per patch in labels.bin; prefer-fg needs --format saev-2.1.',
    options: [...PIXEL_AGGS],
    default: 'majority',
  }),
};
