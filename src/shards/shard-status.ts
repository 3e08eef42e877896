/**
 * Whether one shard is complete, for resume: its marker exists and agrees
 * with what this run expects (name, real image count, full size, dtype), and
 * the file on disk has the recorded size. The full digest check is left to
 * `saev activations verify`, which reads every byte.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readMarker, ShardMarker } from './shard-marker.js';

export interface ExpectedShard {
  name: string;
  nExamples: number;
  bytes: number;
  dtype: string;
}

export type ShardStatus =
  { complete: true; marker: ShardMarker } | { complete: false; reason: string; hadMarker: boolean };

export async function getShardStatus(shardDir: string, expected: ExpectedShard): Promise<ShardStatus> {
  let marker: ShardMarker | null;
  try {
    marker = await readMarker(shardDir, expected.name);
  } catch (error) {
    return { complete: false, reason: (error as Error).message, hadMarker: true };
  }
  if (marker === null) return { complete: false, reason: 'no completion marker', hadMarker: false };
  const disagree = (what: string, found: unknown, want: unknown) => ({
    complete: false as const,
    reason: `marker says ${what} ${found}, expected ${want}`,
    hadMarker: true,
  });
  if (marker.name !== expected.name) return disagree('name', marker.name, expected.name);
  if (marker.n_examples !== expected.nExamples) return disagree('n_examples', marker.n_examples, expected.nExamples);
  if (marker.bytes !== expected.bytes) return disagree('bytes', marker.bytes, expected.bytes);
  if (marker.dtype !== expected.dtype) return disagree('dtype', marker.dtype, expected.dtype);
  let size: number;
  try {
    size = (await fs.stat(path.join(shardDir, expected.name))).size;
  } catch {
    return { complete: false, reason: 'marked complete but the file is missing', hadMarker: true };
  }
  if (size !== expected.bytes)
    return {
      complete: false,
      reason: `marked complete but the file has ${size} bytes, expected ${expected.bytes}`,
      hadMarker: true,
    };
  return { complete: true, marker };
}
