/**
 * Today's saev (protocol 2.1) reads what `extract --format saev-2.1` writes, with its own code
 * (scripts/saev-v21-interop.py): image-folder, imagenet parquet and ADE20K data (majority and prefer-fg
 * labels) through the CLI, and a hand-made directory without CLS. Runs when SAEV_V21_PYTHON names a Python
 * made by `python3.12 scripts/saev-v21-interop.py setup <venv>` and SAEV_V21_SRC a directory holding saev's
 * package (saev is not on PyPI past 0.1.0); otherwise it is skipped with the reason printed, unless
 * SAEV_V21_REQUIRED=1, where a missing one fails. Uses the built CLI (test/build-dist.ts builds it first when stale).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeShardDir } from './helpers.js';

const PYTHON = process.env.SAEV_V21_PYTHON;
const SRC = process.env.SAEV_V21_SRC;
const REQUIRED = process.env.SAEV_V21_REQUIRED === '1';
const SCRIPT = path.resolve(__dirname, '../../scripts/saev-v21-interop.py');
const CLI = path.resolve(__dirname, '../../bin/run.js');
const DATA = path.resolve(__dirname, '../fixtures/data');
const READY = Boolean(PYTHON && SRC);

if (!READY && !REQUIRED) {
  process.stderr.write(
    "test/reader/saev-v21-interop.test.ts: skipped: set SAEV_V21_PYTHON (a venv from 'python3.12 scripts/saev-v21-interop.py setup <venv>') and " +
      "SAEV_V21_SRC (a directory holding saev's package, e.g. OSU-NLP-Group/saev's src/ at 3d73f1f) to run it\n",
  );
}

interface Report {
  shardDir: string;
  checked: string[];
  known: string[];
  failures: string[];
}

interface Case {
  name: string;
  args: string[];
  data: Record<string, unknown>;
  pixelAgg?: string;
  split?: string;
}

const CASES: Case[] = [
  {
    name: 'image-folder',
    args: ['--vit-layers', '-3', '-1', '--n-patches-per-shard', '317'],
    data: { kind: 'image-folder' },
  },
  {
    name: 'imagenet',
    args: [
      '--data',
      'imagenet',
      '--data-root',
      path.join(DATA, 'imagenet'),
      '--vit-layers',
      '-1',
      '--n-patches-per-shard',
      '200',
    ],
    data: { kind: 'imagenet', name: 'ILSVRC/imagenet-1k', split: 'train' },
  },
  {
    name: 'ade20k-prefer-fg',
    split: 'training',
    pixelAgg: 'prefer-fg',
    args: ['--vit-layers', '-2', '-1', '--n-patches-per-shard', '300'],
    data: { kind: 'ade20k', root: path.join(DATA, 'ade20k'), split: 'training' },
  },
  {
    name: 'ade20k-majority',
    split: 'validation',
    args: ['--vit-layers', '-1', '--n-patches-per-shard', '100'],
    data: { kind: 'ade20k', root: path.join(DATA, 'ade20k'), split: 'validation' },
  },
];

/** Runs a child process without blocking this one (a blocked test worker misses vitest's own messages). */
function run(command: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Extracts one case through the CLI and describes it for the checker. */
async function extract(c: Case, dumpTo: string): Promise<Record<string, unknown>> {
  const ade =
    c.data.kind === 'ade20k'
      ? ['--data', 'ade20k', '--data-root', c.data.root as string, '--data-split', c.split!]
      : [];
  const pixel = c.pixelAgg ? ['--pixel-agg', c.pixelAgg] : [];
  const result = await run(process.execPath, [
    CLI,
    'activations',
    'extract',
    '--format',
    'saev-2.1',
    ...ade,
    ...pixel,
    ...c.args,
    '--dump-to',
    dumpTo,
    '--json',
  ]);
  expect(result.status, result.stderr).toBe(0);
  const { shardDir } = JSON.parse(result.stdout) as { shardDir: string };
  const md = JSON.parse(readFileSync(path.join(shardDir, 'metadata.json'), 'utf8'));
  const info = JSON.parse(readFileSync(path.join(shardDir, 'saev-tfjs.json'), 'utf8'));
  const data = c.data.kind === 'image-folder' ? { kind: 'image-folder', root: md.dataset } : c.data;
  let labels = null;
  if (c.data.kind === 'ade20k') {
    const dir = path.join(c.data.root as string, 'annotations', c.split!);
    const { resize, resizeSize, cropSize } = info.preprocess;
    labels = {
      resize,
      resize_size: resizeSize,
      crop_size: cropSize,
      patch_size: info.model.arch.patchSize,
      annotations: readdirSync(dir)
        .sort()
        .map((f) => path.join(dir, f)),
    };
  }
  return { shard_dir: shardDir, data, ...pick(md), labels };
}

const pick = (md: Record<string, unknown>) => {
  const keys = [
    'family',
    'ckpt',
    'layers',
    'content_tokens_per_example',
    'cls_token',
    'd_model',
    'n_examples',
    'max_tokens_per_shard',
    'pixel_agg',
  ];
  return Object.fromEntries(keys.map((k) => [k, md[k]]));
};

describe.runIf(READY || REQUIRED)("today's saev (protocol 2.1) reads saev-tfjs shards with its own code", () => {
  const reports = new Map<string, Report>();

  beforeAll(async () => {
    expect(PYTHON && SRC, 'set SAEV_V21_PYTHON and SAEV_V21_SRC; see scripts/saev-v21-interop.py').toBeTruthy();
    const work = mkdtempSync(path.join(os.tmpdir(), 'saev-v21-interop-'));
    const expects: Array<[string, string]> = [];
    for (const c of CASES) {
      const file = path.join(work, `${c.name}.json`);
      writeFileSync(file, JSON.stringify(await extract(c, path.join(work, c.name))));
      expects.push([c.name, file]);
    }
    const m = makeShardDir({
      nImgs: 5,
      layers: [3, 7],
      nPatchesPerImg: 4,
      clsToken: false,
      dVit: 3,
      nPatchesPerShard: 2 * 2 * 4 + 3,
      format: 'saev-2.1',
    });
    const file = path.join(work, 'no-cls.json');
    const md = JSON.parse(readFileSync(path.join(m.dir, 'metadata.json'), 'utf8'));
    writeFileSync(file, JSON.stringify({ shard_dir: m.dir, data: { kind: 'fake', n: 5 }, ...pick(md), labels: null }));
    expects.push(['no-cls', file]);
    const r = await run(PYTHON!, [SCRIPT, 'check', ...expects.map(([, f]) => f), '--saev-src', SRC!]);
    const doc = JSON.parse(r.stdout || '{"reports": []}') as { reports: Report[] };
    expect(doc.reports.length, r.stderr.slice(-3000)).toBe(expects.length);
    expects.forEach(([name], k) => reports.set(name, doc.reports[k]));
  }, 900_000);

  const common = (r: Report) => {
    expect(r.failures).toEqual([]);
    for (const what of [
      'Metadata.load',
      'Metadata.hash equals the directory name',
      'data is base64(pickle.dumps(config)) byte for byte',
      'a Metadata built from the same run hashes to the directory name',
      'Metadata.dump writes our metadata.json byte for byte',
      'ShardInfo.dump writes our shards.json byte for byte',
    ]) {
      expect(r.checked).toContain(what);
    }
    expect(r.checked.filter((c) => /^make_data_cfg\(\) == /.test(c))).toHaveLength(1);
  };

  it('image-folder: metadata, hash, config, and every reader exact over 4 shards (the last partial)', () => {
    const r = reports.get('image-folder')!;
    common(r);
    expect(r.checked).toContain('shards.json counts [3, 3, 3, 1]');
    expect(r.checked.filter((c) => /^IndexedDataset\(content, layer -[13]\): 490 items exact$/.test(c))).toHaveLength(
      2,
    );
    expect(
      r.checked.filter((c) => /^ShuffledDataLoader\(layer -[13]\): 490 tokens, each once, exact$/.test(c)),
    ).toHaveLength(2);
    expect(r.checked).toContain('OrderedDataLoader(layer -1): 490 tokens in order, exact');
    expect(r.known.join('\n')).toMatch(/saev's IndexMap takes row idx \/\/ examples_per_shard/);
  });

  it("imagenet parquet: Imagenet(name, split) round-trips and saev's readers agree", () => {
    const r = reports.get('imagenet')!;
    common(r);
    expect(r.checked).toContain("make_data_cfg() == Imagenet(name='ILSVRC/imagenet-1k', split='train')");
    expect(r.checked.filter((c) => /Loader\(layer -1\).*exact$/.test(c))).toHaveLength(2);
  });

  it("ade20k: ImgSegFolder round-trips; labels.bin equals saev's pixel_to_patch_labels, prefer-fg and majority", () => {
    for (const name of ['ade20k-prefer-fg', 'ade20k-majority']) {
      const r = reports.get(name)!;
      common(r);
      expect(
        r.checked.filter((c) =>
          /^make_data_cfg\(\) == ImgSegFolder\(root=PosixPath\('.*ade20k'\), split='(training|validation)', labels_csv='labels.csv', bg_label=0\)$/.test(
            c,
          ),
        ),
      ).toHaveLength(1);
      expect(
        r.checked.filter((c) =>
          /^labels\.bin equals saev's pixel_to_patch_labels \((prefer-fg|majority)\) for [36] maps$/.test(c),
        ),
      ).toHaveLength(1);
      expect(r.checked.filter((c) => /with labels$/.test(c)).length).toBeGreaterThanOrEqual(2);
      expect(
        r.checked.filter((c) => /ignore_labels=\[0\]\): \d+ tokens, each once, exact$/.test(c)).length,
      ).toBeGreaterThanOrEqual(1);
    }
  });

  it('a hand-made directory without CLS: content tokens start at token 0 for every reader', () => {
    const r = reports.get('no-cls')!;
    common(r);
    expect(r.checked).toContain('make_data_cfg() == FakeImg(n_examples=5)');
    expect(r.checked.filter((c) => /^IndexedDataset\(content, layer [37]\): 20 items exact$/.test(c))).toHaveLength(2);
    expect(r.known).toEqual([]);
  });
});
