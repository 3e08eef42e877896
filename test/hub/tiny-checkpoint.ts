/**
 * A DINOv2 hub state dict of ViT-S/14's width (384, which DINOv2 splits into 6 heads, so no config is
 * needed to tell the heads) but two blocks, seeded random values, written as safetensors: what a
 * torch-hub name downloads, in tests.
 */
export function makeTinyDinov2Safetensors(seed = 1): Buffer {
  const width = 384;
  const mlp = 4 * width;
  const shapes: Record<string, number[]> = {
    cls_token: [1, 1, width],
    pos_embed: [1, 1 + 16, width],
    mask_token: [1, width],
    'patch_embed.proj.weight': [width, 3, 14, 14],
    'patch_embed.proj.bias': [width],
    'norm.weight': [width],
    'norm.bias': [width],
  };
  for (const i of [0, 1]) {
    Object.assign(shapes, {
      [`blocks.${i}.norm1.weight`]: [width],
      [`blocks.${i}.norm1.bias`]: [width],
      [`blocks.${i}.attn.qkv.weight`]: [3 * width, width],
      [`blocks.${i}.attn.qkv.bias`]: [3 * width],
      [`blocks.${i}.attn.proj.weight`]: [width, width],
      [`blocks.${i}.attn.proj.bias`]: [width],
      [`blocks.${i}.ls1.gamma`]: [width],
      [`blocks.${i}.norm2.weight`]: [width],
      [`blocks.${i}.norm2.bias`]: [width],
      [`blocks.${i}.mlp.fc1.weight`]: [mlp, width],
      [`blocks.${i}.mlp.fc1.bias`]: [mlp],
      [`blocks.${i}.mlp.fc2.weight`]: [width, mlp],
      [`blocks.${i}.mlp.fc2.bias`]: [width],
      [`blocks.${i}.ls2.gamma`]: [width],
    });
  }
  let state = seed >>> 0;
  const next = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 0.2;
  const header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> = {};
  const parts: Buffer[] = [];
  let offset = 0;
  for (const [name, shape] of Object.entries(shapes)) {
    const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, next);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + values.byteLength] };
    parts.push(Buffer.from(values.buffer));
    offset += values.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, Buffer.from(json), ...parts]);
}
