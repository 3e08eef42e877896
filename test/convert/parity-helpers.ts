// Reads the upstream-made parity fixtures (scripts/make-parity-fixtures.py) and measures errors.
import { readFileSync } from 'node:fs';
import type { CheckpointTensor, StateDict } from '../../src/checkpoint/state-dict.js';

export const PARITY_DIR = new URL('../fixtures/parity/', import.meta.url).pathname;

export interface ParityCase {
  family: string;
  checkpoints: string[];
  photos: string[];
  image_size: number;
  pixels_BHWC: [number, number, number, number];
  blocks_LBND: [number, number, number, number];
  tokens: { cls: number; registers: number; patches: number };
  /** Cases with several layouts: each checkpoint's blocks, as its own upstream code recorded them. */
  blocks_by_checkpoint?: Record<string, string>;
  dir: string;
  pixels: Float32Array;
  blocks: Float32Array;
}

function readF32(path: string): Float32Array {
  const bytes = readFileSync(path);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/**
 * A case's pixels and blocks; with `checkpoint`, the blocks its layout's code recorded (the case's only ones
 * otherwise).
 */
export function loadCase(name: string, checkpoint?: string): ParityCase {
  const dir = `${PARITY_DIR}${name}/`;
  const manifest = JSON.parse(readFileSync(`${dir}case.json`, 'utf8')) as Omit<ParityCase, 'dir' | 'pixels' | 'blocks'>;
  const blocksFile = (checkpoint && manifest.blocks_by_checkpoint?.[checkpoint]) || 'blocks.bin';
  return { ...manifest, dir, pixels: readF32(`${dir}pixels.bin`), blocks: readF32(`${dir}${blocksFile}`) };
}

/**
 * A minimal float32-only safetensors reader for these fixtures, so the parity tests do not depend on
 * src/checkpoint (which has its own tests). Header: u64 length, JSON {name: {dtype, shape, data_offsets}}.
 */
export function readFixtureSafetensors(path: string): StateDict {
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const state: StateDict = new Map();
  for (const [key, entry] of Object.entries(header)) {
    if (key === '__metadata__') continue;
    if (entry.dtype !== 'F32') throw new Error(`fixture ${path}: ${key} is ${entry.dtype}, expected F32`);
    const [start, end] = entry.data_offsets;
    const slice = bytes.subarray(8 + headerLength + start, 8 + headerLength + end);
    const tensor: CheckpointTensor = {
      dtype: 'float32',
      shape: entry.shape,
      toFloat32: () => new Float32Array(slice.buffer.slice(slice.byteOffset, slice.byteOffset + slice.byteLength)),
    };
    state.set(key, tensor);
  }
  return state;
}

export interface BlockError {
  block: number;
  /** max |ours - upstream| */
  maxAbs: number;
  /** sqrt(mean((ours - upstream)^2)) / sqrt(mean(upstream^2)) */
  relRms: number;
}

export function measure(ours: Float32Array, upstream: Float32Array, block: number): BlockError {
  if (ours.length !== upstream.length)
    throw new Error(`block ${block}: ${ours.length} values, upstream has ${upstream.length}`);
  let maxAbs = 0;
  let err2 = 0;
  let ref2 = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = ours[i] - upstream[i];
    maxAbs = Math.max(maxAbs, Math.abs(d));
    err2 += d * d;
    ref2 += upstream[i] * upstream[i];
  }
  return { block, maxAbs: Number.isNaN(err2) ? NaN : maxAbs, relRms: Math.sqrt(err2 / ref2) };
}
