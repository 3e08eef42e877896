/**
 * What Dawn sees on this machine: every adapter's info, features and the limits that matter to the
 * kernels (storage binding size, workgroup storage), one JSON document on stdout.
 *
 *   node dist/scripts/gpu/probe.js
 */
const specifier = 'webgpu';
const { create } = (await import(specifier)) as { create(flags: string[]): GPU };
const gpu = create([]);
const LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;
const adapters: unknown[] = [];
for (const options of [
  { powerPreference: 'high-performance' },
  { forceFallbackAdapter: true },
] as GPURequestAdapterOptions[]) {
  const adapter = await gpu.requestAdapter(options);
  if (!adapter) {
    adapters.push({ options, adapter: null });
    continue;
  }
  const info = adapter.info as GPUAdapterInfo & Record<string, unknown>;
  adapters.push({
    options,
    info: Object.fromEntries(
      [
        'vendor',
        'architecture',
        'device',
        'description',
        'isFallbackAdapter',
        'subgroupMinSize',
        'subgroupMaxSize',
        'subgroupMatrixConfigs',
      ].map((k) => [k, info[k]]),
    ),
    features: [...adapter.features].sort(),
    limits: Object.fromEntries(LIMITS.map((k) => [k, adapter.limits[k]])),
  });
}
console.log(JSON.stringify({ adapters }, null, 2));
