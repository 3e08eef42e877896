import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src/checkpoint/read-checkpoint.js';

// Checkpoints written by real torch/safetensors (scripts/make-checkpoint-fixtures.py), and what torch saw in them.
const dir = fileURLToPath(new URL('../fixtures/checkpoint/', import.meta.url));
interface Expected {
  format: string;
  sha256: string;
  tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
  metadata?: Record<string, string>;
  ignored?: string[];
  unwrapped?: string;
  strippedPrefix?: string;
}
const { _hostile: hostile, ...readable } = JSON.parse(readFileSync(`${dir}expected.json`, 'utf8')) as Record<
  string,
  Expected
> & { _hostile: string[] };

describe('checkpoints written by torch and safetensors', () => {
  it('has every kind of fixture', () => {
    expect(Object.keys(readable).sort()).toEqual([
      'dtypes.pt',
      'f32.safetensors',
      'half.safetensors',
      'nested-model.pt',
      'nested-state-dict.pt',
      'script-attributes.pt',
      'scripted.pt',
      'state-dict-deflated.pt',
      'state-dict-proto4.pt',
      'state-dict.pt',
      'traced-fp16.pt',
      'views.pt',
    ]);
    expect(hostile.length).toBe(6);
  });

  for (const [file, want] of Object.entries(readable)) {
    it(`${file}: format, sha256, keys, dtypes, shapes and every value as torch reads them`, async () => {
      const checkpoint = await readCheckpoint(dir + file);
      expect(checkpoint.format).toBe(want.format);
      expect(checkpoint.sha256).toBe(want.sha256);
      expect([...checkpoint.tensors.keys()].sort()).toEqual(Object.keys(want.tensors).sort());
      // torch formats keep state_dict() order (safetensors files order their header by offset instead).
      if (want.format !== 'safetensors') expect([...checkpoint.tensors.keys()]).toEqual(Object.keys(want.tensors));
      for (const [key, tensor] of Object.entries(want.tensors)) {
        const got = checkpoint.tensors.get(key)!;
        expect(got.dtype, key).toBe(tensor.dtype);
        expect(got.shape, key).toEqual(tensor.shape);
        expect(Array.from(got.toFloat32()), key).toEqual(tensor.values);
      }
      if (want.metadata) expect(Object.fromEntries(checkpoint.metadata ?? [])).toEqual(want.metadata);
      if (want.ignored) expect(checkpoint.ignored).toEqual(want.ignored);
      expect(checkpoint.unwrapped).toBe(want.unwrapped);
      expect(checkpoint.strippedPrefix).toBe(want.strippedPrefix);
    });
  }
});
