/**
 * The package's public entry point for code that uses the models directly:
 * backend selection, the families, loading a model, recording blocks, and the
 * shard format. Importing it registers the custom layers for serialization.
 */
export { describeBackend, initBackend, tf, type BackendInfo, type BackendRequest } from './backend.js';
export * from './layers/index.js';
export { FAMILIES, getFamily } from '../models/registry.js';
export type { VitArch } from './vit/arch.js';
export type { VitFamily } from './vit/family.js';
export { buildVit, makeRecorder } from './vit/build-vit.js';
export { resolveLayers } from './vit/recorded-blocks.js';
export { loadVit, saveVit, type LoadedVit } from './vit/load-vit.js';
export { recordActivations } from './vit/tokens.js';
export { makeDirectoryLoader, registerFileRouters } from './vit/file-io.js';
export { decodeRgb } from './images/decode.js';
export { resizeAndCrop, normalizeInto, preprocessInto, type PreprocessSpec } from './images/preprocess.js';
export { formatMetadata, getMetadataHash, parseMetadata, type Metadata } from './shards/metadata.js';
export {
  formatMetadataV21,
  getMetadataV21Hash,
  PIXEL_AGGS,
  type MetadataV21,
  type PixelAgg,
} from './shards/metadata-v21.js';
export {
  formatShardMetadata,
  getShardDirPath,
  getShardMetadataHash,
  parseShardMetadata,
  SHARD_FORMATS,
  type ShardFormat,
  type ShardMetadata,
} from './shards/shard-metadata.js';
export { encodeSaevDataConfig, makeSaevDataConfig, type SaevDataConfig } from './data/saev-data-config.js';
export * from './shards/layout.js';
export { runExtraction, type ExtractResult } from './extract/run-extraction.js';
export { makeDataset, setupDataset, type DatasetConfig } from './data/make-dataset.js';
export type { ImageDataset, DatasetLabel, LabelMap } from './data/dataset.js';
export { computePatchLabels, writePatchLabels } from './data/patch-labels.js';
export { ActivationsDataset } from './reader/dataset.js';
export type { ActsBatch, ActsItem } from './reader/batch.js';
export { validateReaderConfig, type ReaderConfig } from './reader/config.js';
export { openShardDir, getShardDirDigest, type ShardDir } from './shards/shard-dir.js';
export { runStats } from './stats/run-stats.js';
export { decodeValues, encodeValues, STORAGE_DTYPES, type StorageDtype } from './shards/dtype.js';
export {
  convertCheckpoint,
  makeVitFromCheckpoint,
  type ConvertOptions,
  type ConvertResult,
} from './convert/convert-checkpoint.js';
export { preprocessPixels } from './images/preprocess-pixels.js';
export { getInputSize } from './images/preprocess.js';
export { verifyShardDir, type VerifyReport, type Problem } from './shards/verify-shards.js';
export { validateExtractConfig, resolveJob, type ExtractConfig, type ValidExtractConfig } from './extract/config.js';
export { getJobRange } from './extract/job-range.js';
