// Tests src/images/resample-kernels.ts on hand-built inputs: the normalisation kernel on every byte value in every
// channel position against normalizeInto (numpy-proven in preprocess.test.ts), and both passes on a small filter
// whose sums are worked out by hand, including clipping at 0 and 255 and the bytes past the output they keep.
import { describe, expect, it } from 'vitest';
import { normalizeInto, PreprocessSpec } from '../../src/images/preprocess.js';
import { HPASS_ROWS, makeResampleKernels } from '../../src/images/resample-kernels.js';

const ONE = 1 << 22; // weight 1.0 in Pillow's fixed point

function setup() {
  const memory = new WebAssembly.Memory({ initial: 4 });
  return {
    memory,
    kernels: makeResampleKernels(memory),
    bytes: new Uint8Array(memory.buffer),
    ints: new Int32Array(memory.buffer),
  };
}

describe('resample kernels', () => {
  it('normalize gives normalizeInto float32 values for every byte value in every channel position', () => {
    const { memory, kernels, bytes } = setup();
    const spec = {
      mean: [0.48145466, 0.4578275, 0.40821073],
      std: [0.26862954, 0.26130258, 0.27577711],
    } as unknown as PreprocessSpec;
    const nPixels = 257; // every byte value in every channel, and a group of four cut short
    const pixels = new Uint8Array(nPixels * 3).map((_, i) => (i * 7 + (i % 3)) % 256);
    bytes.set(pixels, 0);
    const consts = 4096;
    const floats = new Float32Array(memory.buffer, consts, 28);
    floats.fill(255, 0, 4);
    for (let i = 0; i < 12; i++) [floats[4 + i], floats[16 + i]] = [spec.mean[i % 3], spec.std[i % 3]];
    kernels.normalize(0, 8192, nPixels, consts);
    const expected = new Float32Array(nPixels * 3);
    normalizeInto({ width: nPixels, height: 1, data: pixels }, spec, expected, 0);
    expect(Buffer.from(memory.buffer, 8192, expected.byteLength).equals(Buffer.from(expected.buffer))).toBe(true);
  });

  it('vpass sums rows with fixed-point weights and clips; hpass does the same along a row of RGB pixels', () => {
    const { kernels, bytes, ints } = setup();
    // Filter at 1024: two outputs; output 0 = 1.5 * in[0] - 0.5 * in[1], output 1 = in[1] (offsets in bytes).
    const [offsets, counts, weights] = [1024, 1040, 1056];
    ints.set([0, 0], counts / 4);
    ints.set([2, 1], counts / 4);
    ints.set([ONE + ONE / 2, -ONE / 2, ONE, 0], weights / 4);
    // Vertical: two input rows of 20 bytes (stride 32) at 2048; output rows of 20 bytes at 4096, stride 20.
    const row0 = Array.from({ length: 20 }, (_, i) => i * 13);
    const row1 = Array.from({ length: 20 }, (_, i) => 255 - i * 11);
    bytes.set(row0, 2048);
    bytes.set(row1, 2048 + 32);
    ints.set([0, 32], offsets / 4);
    bytes.fill(0xee, 4096, 4096 + 64);
    kernels.vpass(2048, 32, 4096, 20, 20, 2, offsets, counts, weights, 2);
    const clip = (x: number) => Math.min(255, Math.max(0, Math.floor(x)));
    // Sums start at half a unit: floor(1.5 a - 0.5 b + 0.5) is round half up.
    expect(Array.from(bytes.subarray(4096, 4116))).toEqual(row0.map((a, i) => clip(1.5 * a - 0.5 * row1[i] + 0.5)));
    expect(Array.from(bytes.subarray(4116, 4136))).toEqual(row1);

    // Horizontal: one row of 3 RGB pixels; output 0 = 1.5 * px0 - 0.5 * px1, output 1 = px1 (offsets 0 and 3 bytes).
    const px = [10, 200, 255, 30, 0, 100, 255, 255, 255];
    bytes.set(px, 2048);
    ints.set([0, 3], offsets / 4);
    bytes.fill(0xee, 4096, 4096 + 64);
    kernels.hpass(2048, 9, 4096, 6, 1, 2, offsets, counts, weights, 2);
    expect(Array.from(bytes.subarray(4096, 4102))).toEqual([
      clip(15 - 15 + 0.5),
      clip(300 + 0.5),
      clip(382.5 - 50 + 0.5),
      30,
      0,
      100,
    ]);
    // A block of HPASS_ROWS rows is written (rows 1..3 are scratch), each exactly its pixels' bytes: nothing after row
    // 3.
    expect(bytes[4096 + HPASS_ROWS * 6]).toBe(0xee);
  });
});
