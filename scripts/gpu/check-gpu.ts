/**
 * `npm run test:gpu`: the full-size checks of a GPU backend, on a machine with a GPU. Elsewhere it says
 * why it skips and exits 0 (`--require`: exits 1).
 *
 *  1. `auto` must pick a GPU backend (native CUDA, or webgpu on a hardware adapter);
 *  2. on webgpu, the project's kernels at real sizes against float64 host values (kernel-checks.ts);
 *  3. every family at a real size against a CPU backend's outputs, and a multi-shard extraction that
 *     passes `verify` and equals the CPU backend's shards: relative RMS <= 1e-4 per block and shard.
 *
 * The CPU references come from `--refs <dir>` (written beforehand by `--make-refs <dir> --backend native`
 * on any machine), or are computed here in a child process on native, else wasm. `--backend webgpu` runs
 * the checks on any adapter, a software one too (to try the script without a GPU); `--cases` picks cases.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeBackend, initBackend, parseBackendRequest, takeBackendError } from '../../src/backend.js';
import { compareExtractions, extractDemo, ExtractSample } from './extract-ref.js';
import { runKernelChecks } from './kernel-checks.js';
import { compareWithReference, selectCases, writeReferences } from './model-refs.js';
import { type Check, checksOrFailure, MODEL_TOLERANCE } from './sampling.js';

const { values } = parseArgs({
  options: {
    refs: { type: 'string' },
    'make-refs': { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    require: { type: 'boolean', default: false },
    cases: { type: 'string' },
  },
});
const cases = values.cases?.split(',');
const log = (line: string) => process.stderr.write(`test:gpu: ${line}\n`);
const EXTRACT_FILE = 'extract.json';

if (values['make-refs']) {
  const info = await initBackend(parseBackendRequest(values.backend));
  await writeReferences(values['make-refs'], describeBackend(info), log, cases);
  writeFileSync(
    path.join(values['make-refs'], EXTRACT_FILE),
    JSON.stringify(await extractDemo(parseBackendRequest(values.backend))),
  );
  log(`references written to ${values['make-refs']}`);
  process.exit(0);
}

const info = await initBackend(parseBackendRequest(values.backend));
if (!info.gpu && values.backend === 'auto') {
  log(
    `skipped: no GPU answered; auto chose ${describeBackend(info)}${info.skipped.length ? ` (${info.skipped.join('; ')})` : ''}`,
  );
  process.exit(values.require ? 1 : 0);
}
log(`backend: ${describeBackend(info)}`);

/** CPU references in a child process: native if it loads, else wasm. */
function makeReferences(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'saev-gpu-refs-'));
  for (const backend of ['native', 'wasm']) {
    log(`computing CPU references on ${backend} (a few minutes)`);
    const child = spawnSync(
      process.execPath,
      [
        fileURLToPath(import.meta.url),
        '--make-refs',
        dir,
        '--backend',
        backend,
        ...(values.cases ? ['--cases', values.cases] : []),
      ],
      { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, SAEV_BACKEND: '' } },
    );
    if (child.status === 0) return dir;
  }
  throw new Error('gpu-check: no CPU backend could compute the references');
}

const results: Check[] = [];
const report = (check: Check) => {
  const gpuError = takeBackendError();
  if (gpuError) check = { ...check, what: `${check.what} [GPU error: ${gpuError}]`, relRms: Number.NaN };
  results.push(check);
  log(
    `${check.relRms <= check.tolerance ? 'ok  ' : 'FAIL'} ${check.what}: relative RMS ${check.relRms.toExponential(2)} (tolerance ${check.tolerance.toExponential(0)})`,
  );
};
if (info.adapter)
  for (const check of await runKernelChecks(info.adapter.maxStorageBufferBindingSize, log)) report(check);
const refs = values.refs ?? makeReferences();
for (const c of selectCases(cases)) for (const check of await compareWithReference(refs, c)) report(check);
const reference = JSON.parse(readFileSync(path.join(refs, EXTRACT_FILE), 'utf8')) as ExtractSample;
const extractChecks = await checksOrFailure('extract', MODEL_TOLERANCE, async () =>
  compareExtractions(await extractDemo(parseBackendRequest(values.backend)), reference),
);
for (const check of extractChecks) report(check);
const failed = results.filter((r) => !(r.relRms <= r.tolerance));
log(failed.length ? `${failed.length} of ${results.length} checks FAILED` : `all ${results.length} checks passed`);
process.exit(failed.length ? 1 : 0);
