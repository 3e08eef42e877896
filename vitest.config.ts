import { defineConfig } from 'vitest/config';

// One suite; tests that load a model or run an extraction share one backend per worker process,
// chosen by SAEV_BACKEND (CI runs the suite on native and the backend-agnostic subset on wasm).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The CLI tests run dist/: compiled first when a source is newer than the last build.
    globalSetup: ['test/build-dist.ts'],
    pool: 'forks',
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
