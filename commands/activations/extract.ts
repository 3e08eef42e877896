import { availableParallelism } from 'node:os';
import { Command, Flags } from '@oclif/core';
import { failInOneLine } from '../../src/cli/fail.js';
import type { BackendRequest } from '../../src/backend.js';
import { backendFlag } from '../../src/cli/backend-flag.js';
import { normalizeListFlag } from '../../src/cli/argv.js';
import { dataFlags, getDatasetConfig } from '../../src/cli/data-flags.js';
import { formatFlags } from '../../src/cli/format-flags.js';
import { validateExtractConfig } from '../../src/extract/config.js';
import type { StorageDtype } from '../../src/shards/dtype.js';
import type { PixelAgg } from '../../src/shards/metadata-v21.js';
import type { ShardFormat } from '../../src/shards/shard-metadata.js';
import { runExtraction } from '../../src/extract/run-extraction.js';
import { scaleFlags } from '../../src/scale/flags.js';
import { launchLocal, launchSlurm, LaunchJson, makeJobHooks, reportToParent } from '../../src/scale/launch.js';
import { FAMILIES, getFamily } from '../../models/registry.js';
import { prefetchNamedCheckpoint } from '../../src/hub/named-checkpoint.js';

export interface ExtractJson {
  shardDir: string;
  /** The model that ran; `kind` is `converted` for a trained model, `demo` or `random` otherwise. */
  model: { family: string; ckpt: string; kind: string; source: string };
  format: string;
  dtype: string;
  nJobs: number;
  jobIndex: number;
  /** This job's shards [first, end). */
  share: { first: number; end: number };
  written: number[];
  skipped: number[];
  /** Every shard of the directory is complete and shards.json is written. */
  complete: boolean;
  nImgs: number;
  nShards: number;
  nImgsPerShard: number;
  layers: number[];
  backend: string;
  backendVersion: string;
  elapsedS: number;
  imgsPerS: number;
  shards: Array<{ name: string; n_examples: number }>;
}

export default class Extract extends Command {
  static override summary = 'Record ViT block outputs for every image of a dataset into saev shards.';

  static override description = `Runs each image through the ViT and writes the residual stream after the chosen blocks to
<dump-to>/<sha256 of metadata>/acts%06d.bin (float32 [images, layers, CLS+patches, d]), with metadata.json
byte-compatible with saev 0.1.0; --format saev-2.1 writes today's saev protocol 2.1 instead, in
<dump-to>/saev/shards/<8-hex hash>/, which saev's current loaders and trainers read. With no flags it records layer -2 of the embedded demo model (tiny, random
weights, not a trained model) over the embedded demo photographs.

Model properties (--d-vit, --n-patches-per-img, --cls-token) are read from the model; if you pass them they are checked.`;

  static override examples = [
    { description: 'Demo: embedded model and photos, no downloads', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'Last two blocks of an image folder, 1M tokens per shard, JSON summary on stdout',
      command:
        '<%= config.bin %> <%= command.id %> --data image-folder --data-root ./photos --vit-layers -2 -1 --n-patches-per-shard 1000000 --dump-to ./shards --json',
    },
    {
      description: 'A ViT-B/16-sized CLIP with seeded random weights on 64 synthetic images (benchmarking)',
      command:
        '<%= config.bin %> <%= command.id %> --vit-ckpt random:ViT-B-16 --data fake --data-n-imgs 64 --vit-layers=-2,-1',
    },
    {
      description: "ADE20K for today's saev (protocol 2.1), labels.bin by the most frequent non-background label",
      command:
        '<%= config.bin %> <%= command.id %> --data ade20k --data-root ./ADEChallengeData2016 --format saev-2.1 --pixel-agg prefer-fg --dump-to ./scratch',
    },
    {
      description: 'Four local processes, float16 shards; rerun the same line to resume after a crash',
      command: '<%= config.bin %> <%= command.id %> --data fake --data-n-imgs 64 --n-jobs 4 --local --dtype float16',
    },
    {
      description: 'A 16-task Slurm job array (print the sbatch script first with --dry-run)',
      command:
        '<%= config.bin %> <%= command.id %> --data-root ./photos --n-jobs 16 --slurm --slurm-acct ACCT --slurm-partition gpu --slurm-gpus 1 --slurm-time 12:00:00',
    },
  ];

  static override enableJsonFlag = true;

  static override flags = {
    'vit-family': Flags.string({ summary: 'ViT family.', options: Object.keys(FAMILIES), default: 'clip' }),
    'vit-ckpt': Flags.string({
      summary:
        "Checkpoint: a name as saev takes it (ViT-B-16/openai, hf-hub:ORG/REPO[@REV], dinov2_vitb14_reg), a checkpoint file, a converted model directory, 'demo' or 'random:<arch>[@seed]'.",
      description:
        "Names are recorded in metadata.json as given, so the shard directory hash is saev's. open_clip MODEL/TAG names (ViT-L-14/openai, " +
        'ViT-bigG-14/laion2b_s39b_b160k, ViT-B-16-SigLIP/webli), hf-hub:ORG/REPO[@REVISION], DINOv2/DINOv3 torch-hub names, Perception Encoder ' +
        'timm names (vit_pe_core_base_patch16_224.fb) and vikhyatk/moondream2:2024-08-26 are read from the Hugging Face cache (HF_HUB_CACHE, ' +
        "HF_HOME) or torch hub's (TORCH_HOME), else downloaded there (HF_ENDPOINT; HF_TOKEN for gated repositories; HF_HUB_OFFLINE=1 forbids " +
        'it), then converted once into $SAEV_CACHE/models.',
      default: 'demo',
    }),
    'vit-layers': Flags.integer({
      summary: 'Blocks to record, saev-style: negatives count from the end (-2 -1, or -2,-1).',
      multiple: true,
      delimiter: ',',
      default: [-2],
    }),
    'vit-batch-size': Flags.integer({
      summary: 'Images per forward pass [default: 32 on CPU backends; on a GPU the most that fit, up to 256].',
      min: 1,
    }),
    'n-workers': Flags.integer({
      summary:
        'Images decoded and preprocessed at once, on min(this, CPU cores) worker threads [default: the CPU cores].',
      min: 1,
    }),
    'n-patches-per-shard': Flags.integer({
      summary: 'Token budget per shard file (saev default ~10 GB at d=1024).',
      default: 2_400_000,
      min: 1,
    }),
    'cls-token': Flags.boolean({
      summary: 'Assert the model stores a CLS token (checked, never trusted).',
      allowNo: true,
    }),
    'd-vit': Flags.integer({ summary: 'Assert the model width (checked against the model).' }),
    'n-patches-per-img': Flags.integer({ summary: 'Assert the patch count per image (checked against the model).' }),
    'dump-to': Flags.string({ summary: 'Parent directory of the shard directory.', default: './shards' }),
    seed: Flags.integer({ summary: "saev's seed field, recorded in metadata.json (and its hash).", default: 42 }),
    ...dataFlags,
    ...formatFlags,
    backend: backendFlag,
    ...scaleFlags,
  };

  public async run(): Promise<ExtractJson | LaunchJson> {
    const { flags } = await this.parse(
      { flags: Extract.flags, enableJsonFlag: true },
      normalizeListFlag(this.argv, '--vit-layers'),
    );
    // Logs go to stderr in every mode (oclif's logToStderr is silent under --json, which hid warnings).
    const log = (line: string) => void process.stderr.write(`${line}\n`);
    try {
      const config = validateExtractConfig(
        {
          ...getDatasetConfig(flags, log), // not this.warn, which wraps paths at 80 columns
          vitFamily: flags['vit-family'],
          vitCkpt: flags['vit-ckpt'],
          vitLayers: flags['vit-layers'],
          vitBatchSize: flags['vit-batch-size'],
          nWorkers: flags['n-workers'] ?? availableParallelism(),
          nPatchesPerShard: flags['n-patches-per-shard'],
          clsToken: flags['cls-token'],
          dVit: flags['d-vit'],
          nPatchesPerImg: flags['n-patches-per-img'],
          dumpTo: flags['dump-to'],
          seed: flags.seed,
          backend: flags.backend as BackendRequest,
          dtype: flags.dtype as StorageDtype,
          format: flags.format as ShardFormat,
          pixelAgg: flags['pixel-agg'] as PixelAgg,
          nJobs: flags['n-jobs'],
          jobIndex: flags.local || flags.slurm ? undefined : flags['job-index'],
        },
        flags.local || flags.slurm ? {} : process.env,
      );
      if (flags.local || flags.slurm) {
        if (!flags['dry-run']) await prefetchNamedCheckpoint(getFamily(config.vitFamily), config.vitCkpt, log); // once, not once per job
        const launched = flags.local
          ? await launchLocal(this.argv, config.nJobs, log)
          : await launchSlurm(this.argv, { ...flags, nJobs: config.nJobs }, log);
        if (!this.jsonEnabled()) this.log(launched.text);
        return launched;
      }
      const result = await runExtraction(config, getFamily(config.vitFamily), makeJobHooks(log));
      if (!this.jsonEnabled()) this.log(result.shardDir);
      const json: ExtractJson = {
        shardDir: result.shardDir,
        model: result.model,
        format: result.metadata.format,
        dtype: result.dtype,
        nJobs: result.nJobs,
        jobIndex: result.jobIndex,
        share: result.share,
        written: result.written,
        skipped: result.skipped,
        complete: result.complete,
        nImgs: result.nImgs,
        nShards: result.nShards,
        nImgsPerShard: result.nImgsPerShard,
        layers: [...result.metadata.layers],
        backend: result.backend,
        backendVersion: result.backendInfo.libVersion ?? result.backendInfo.version,
        elapsedS: result.elapsedS,
        imgsPerS: result.imgsPerS,
        shards: result.shards,
      };
      reportToParent({ type: 'result', result: { ...json } });
      return json;
    } catch (error) {
      reportToParent({ type: 'error', message: (error as Error).message.split('\n')[0] });
      failInOneLine(this, error);
    }
  }
}
