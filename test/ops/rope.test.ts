// RoPE (src/ops/rope.ts) against float64 transcriptions of the two upstream definitions: DINOv3's
// RopePositionEmbedding + rope_apply (dinov3/layers) and the Perception Encoder's Rope2D + apply_rotary_emb
// (core/vision_encoder/rope.py), both rotating only the patch tokens' queries and keys.
import { beforeAll, describe, expect, it } from 'vitest';
import { dinov3 } from '../../models/dinov3.js';
import { PE_BASE } from '../../models/perception-encoder.js';
import { initBackend, tf } from '../../src/backend.js';
import {
  getRopeFrequencies,
  getRopeGrid,
  makeRopeRotation,
  makeRopeTable,
  rotateQueriesKeys,
} from '../../src/ops/rope.js';
import { makeNormal } from '../../src/random.js';
import type { VitArch } from '../../src/vit/arch.js';

beforeAll(async () => {
  await initBackend();
});

/** Per patch (row-major), the angle of every head dim, and how a head is rotated: float64. */
interface Reference {
  angles: number[][];
  rotate(x: number[]): number[];
}

/** DINOv3: periods base^(2k / (E/2)); centres (i + 0.5) / side mapped to [-1, 1]; [h, w] angles, tiled twice. */
function dinov3Reference(side: number, headWidth: number, base = 100): Reference {
  const periods = Array.from({ length: headWidth / 4 }, (_, k) => base ** ((2 * k) / (headWidth / 2)));
  const coord = (i: number) => 2 * ((i + 0.5) / side) - 1;
  const angles: number[][] = [];
  for (let h = 0; h < side; h++) {
    for (let w = 0; w < side; w++) {
      const half = [
        ...periods.map((p) => (2 * Math.PI * coord(h)) / p),
        ...periods.map((p) => (2 * Math.PI * coord(w)) / p),
      ];
      angles.push([...half, ...half]);
    }
  }
  const rotate = (x: number[]) => [...x.slice(headWidth / 2).map((v) => -v), ...x.slice(0, headWidth / 2)];
  return { angles, rotate };
}

/** PE: RotaryEmbedding(E/2) freqs 1/theta^(2j / (E/2)), each repeated twice; [x freqs, y freqs]; from 1 with CLS. */
function peReference(side: number, headWidth: number, withCls: boolean, theta = 10000): Reference {
  const dim = headWidth / 2;
  const freqs = Array.from({ length: dim / 2 }, (_, j) => 1 / theta ** ((2 * j) / dim));
  const rope = (t: number) => freqs.flatMap((f) => [t * f, t * f]);
  const start = withCls ? 1 : 0;
  const angles: number[][] = [];
  for (let h = 0; h < side; h++) for (let w = 0; w < side; w++) angles.push([...rope(w + start), ...rope(h + start)]);
  const rotate = (x: number[]) => x.map((_, i) => (i % 2 === 0 ? -x[i + 1] : x[i - 1]));
  return { angles, rotate };
}

const tiny = (rope: VitArch['rope'], clsToken: boolean): VitArch => ({
  imageSize: 48,
  patchSize: 16,
  width: 24,
  depth: 1,
  nHeads: 2,
  mlpWidth: 8,
  gelu: 'none',
  layerNormEps: 1e-5,
  clsToken,
  nRegisters: 0,
  patchBias: true,
  preNorm: false,
  layerScale: false,
  positionEmbedding: false,
  rope,
  mlp: 'gelu',
});

const CASES: Array<[string, VitArch, Reference]> = [
  ['DINOv3', tiny(dinov3.archs.dinov3_vits16.rope, true), dinov3Reference(3, 12)],
  ['PE with CLS', tiny(PE_BASE.rope, true), peReference(3, 12, true)],
  ['PE without CLS (G)', tiny(PE_BASE.rope, false), peReference(3, 12, false)],
];

describe.each(CASES)('RoPE as %s defines it', (_, arch, reference) => {
  const grid = getRopeGrid(arch);
  const table = makeRopeTable(grid, getRopeFrequencies(arch.rope!, grid.headWidth));
  const nPatches = grid.side * grid.side;

  it('tabulates sin and cos of every angle, float64 rounded once', () => {
    for (let p = 0; p < nPatches; p++) {
      for (let e = 0; e < grid.headWidth; e++) {
        expect(table[p * grid.headWidth + e]).toBeCloseTo(Math.sin(reference.angles[p][e]), 7);
        expect(table[(nPatches + p) * grid.headWidth + e]).toBeCloseTo(Math.cos(reference.angles[p][e]), 7);
      }
    }
  });

  it('pairs head dims as upstream rotates them, exactly', () => {
    const rotation = makeRopeRotation(grid.headWidth, grid.pairing);
    const x = Array.from({ length: grid.headWidth }, (_, i) => i + 1);
    const ours = x.map((_, j) => x.reduce((s, v, i) => s + v * rotation[i * grid.headWidth + j], 0));
    expect(ours).toEqual(reference.rotate(x));
  });

  it('rotates the patch queries and keys of a fused qkv, leaving prefix tokens and values alone', async () => {
    const normal = makeNormal(3);
    const [batch, nPrefix, nHeads, headWidth] = [2, 2, arch.nHeads, grid.headWidth];
    const nTokens = nPrefix + nPatches;
    const columns = 3 * nHeads * headWidth;
    const qkv = Float32Array.from({ length: batch * nTokens * columns }, () => normal());
    const before = tf.memory().numTensors;
    const qkv_MC = tf.tensor2d(qkv, [batch * nTokens, columns]);
    const sinCos_2PE = tf.tensor3d(table, [2, nPatches, headWidth]);
    const rotation_EE = tf.tensor2d(makeRopeRotation(headWidth, grid.pairing), [headWidth, headWidth]);
    const out_MC = rotateQueriesKeys(qkv_MC, sinCos_2PE, rotation_EE, nTokens, nHeads);
    const got = (await out_MC.data()) as Float32Array;
    tf.dispose([qkv_MC, sinCos_2PE, rotation_EE, out_MC]);
    expect(tf.memory().numTensors).toBe(before);
    let maxError = 0;
    for (let row = 0; row < batch * nTokens; row++) {
      const p = (row % nTokens) - nPrefix;
      for (let slot = 0; slot < 3 * nHeads; slot++) {
        const at = row * columns + slot * headWidth;
        const x = Array.from(qkv.subarray(at, at + headWidth));
        const rotated = slot < 2 * nHeads && p >= 0;
        if (!rotated) {
          expect(Array.from(got.subarray(at, at + headWidth))).toEqual(x);
          continue;
        }
        const partner = reference.rotate(x);
        const angles = reference.angles[p];
        for (let e = 0; e < headWidth; e++) {
          const want = x[e] * Math.cos(angles[e]) + partner[e] * Math.sin(angles[e]);
          maxError = Math.max(maxError, Math.abs(got[at + e] - want));
        }
      }
    }
    expect(maxError).toBeLessThan(2e-6);
  });
});

describe('RoPE inputs', () => {
  it('gives DINOv3 its periods 100^(4k/E) and PE its inverse frequencies 10000^(-4k/E)', () => {
    const d3 = getRopeFrequencies(dinov3.archs.dinov3_vits16.rope!, 64);
    expect(d3.length).toBe(16);
    d3.forEach((f, k) => expect(f).toBeCloseTo((2 * Math.PI) / 100 ** ((4 * k) / 64), 12));
    getRopeFrequencies(PE_BASE.rope, 64).forEach((f, k) => expect(f).toBeCloseTo(10000 ** ((-4 * k) / 64), 12));
  });

  it('refuses a table that does not fit the tokens, in one line', () => {
    const qkv_MC = tf.zeros([8, 24]) as tf.Tensor2D;
    const sinCos_2PE = tf.zeros([2, 9, 4]) as tf.Tensor3D;
    const rotation_EE = tf.zeros([4, 4]) as tf.Tensor2D;
    expect(() => rotateQueriesKeys(qkv_MC, sinCos_2PE, rotation_EE, 4, 2)).toThrow(
      /^rope: a 9-patch table of head width 4 does not fit 4 tokens/,
    );
    tf.dispose([qkv_MC, sinCos_2PE, rotation_EE]);
  });

  it('refuses band frequencies that do not match the head width', () => {
    expect(() =>
      makeRopeTable({ side: 2, headWidth: 8, pairing: 'half', coords: 'centered', axes: 'yx', offset: 0 }, [1]),
    ).toThrow(/1 band frequencies for head width 8, expected 2/);
  });
});
