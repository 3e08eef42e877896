import { Args, Command, Flags } from '@oclif/core';
import { FAMILIES, getFamily } from '../models/registry.js';
import { BackendRequest, describeBackend, initBackend } from '../src/backend.js';
import { readCheckpoint } from '../src/checkpoint/read-checkpoint.js';
import { backendFlag } from '../src/cli/backend-flag.js';
import { failInOneLine } from '../src/cli/fail.js';
import { convertCheckpoint, ConvertResult, formatResult } from '../src/convert/convert-checkpoint.js';
import { GELU_NAMES } from '../src/convert/infer-arch.js';
import type { GeluApproximation } from '../src/layers/gelu.js';

export interface ConvertJson extends ConvertResult {
  family: string;
}

/** `--gelu` takes the names people use (exact, tanh, quick); the model config stores tfjs's approximation. */
const GELU_BY_NAME = Object.fromEntries(
  Object.entries(GELU_NAMES).map(([ours, name]) => [name, ours as GeluApproximation]),
);

/** A LayerNorm epsilon from its flag; checked in run() so a bad value fails in one line, as every other error does. */
function parseLayerNormEps(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const eps = Number(value);
  if (!(eps > 0 && eps < 1))
    throw new Error(`convert: --layer-norm-eps must be a number between 0 and 1, e.g. 1e-6, found '${value}'`);
  return eps;
}

export default class Convert extends Command {
  static override summary = 'Convert an upstream checkpoint into a model directory that extract loads.';

  static override description = `Reads a checkpoint (.safetensors, or a torch.save or TorchScript .pt/.pth/.bin) and writes a new
directory holding model.json, weight files of at most 1 GiB and saev-vit.json, for 'saev activations extract
--vit-family F --vit-ckpt <dir>'. The architecture comes from the tensor shapes and a config file beside the
checkpoint (open_clip_config.json, config.json); flags fill in what neither tells, and contradicting them is an
error. What nothing settles (a bare state dict's head count or GELU) is refused, naming the flag to pass. A failed
conversion leaves nothing at --out. Converted models are large: write them outside the source tree.`;

  static override examples = [
    {
      description: 'An open_clip checkpoint, its open_clip_config.json beside it',
      command:
        '<%= config.bin %> <%= command.id %> ./ViT-B-16/open_clip_model.safetensors --family clip --out ~/saev-models/clip-b16',
    },
    {
      description: 'A DINOv3 hub checkpoint at 512 px, summary as one JSON document',
      command:
        '<%= config.bin %> <%= command.id %> ./dinov3_vitl16_pretrain_lvd1689m-8aa4cbdd.pth --family dinov3 --image-size 512 --out ~/saev-models/dinov3-l16-512 --json',
    },
    {
      description: 'A bare open_clip state dict: shapes cannot tell QuickGELU from GELU',
      command:
        '<%= config.bin %> <%= command.id %> ./clip-b16-state-dict.pt --family clip --gelu quick --out ~/saev-models/clip-mine',
    },
  ];

  static override enableJsonFlag = true;

  static override args = {
    checkpoint: Args.string({
      description: 'The upstream checkpoint file (.safetensors, .pt, .pth, .bin).',
      required: true,
    }),
  };

  static override flags = {
    family: Flags.string({
      summary: 'ViT family the checkpoint belongs to.',
      options: Object.keys(FAMILIES),
      required: true,
    }),
    out: Flags.string({
      summary: 'New directory for the converted model (refused if it exists).',
      helpValue: '<dir>',
      required: true,
    }),
    'image-size': Flags.integer({
      summary: 'Input size in pixels, when neither the checkpoint nor its config fixes it.',
      description:
        'Position embeddings are interpolated to it where the family allows; it must be a multiple of the patch size.',
      min: 1,
    }),
    'n-heads': Flags.integer({
      summary: 'Attention heads, when neither a config nor the family settles them for this width.',
      min: 1,
    }),
    gelu: Flags.string({
      summary: 'GELU form, when neither a config nor the checkpoint settles it (quick: OpenAI CLIP).',
      options: Object.keys(GELU_BY_NAME),
    }),
    'layer-norm-eps': Flags.string({
      summary: 'LayerNorm epsilon, e.g. 1e-6, when neither a config nor the family settles it.',
      helpValue: '<eps>',
    }),
    config: Flags.string({
      summary:
        "A config file to read instead of the family's names beside the checkpoint (open_clip_config.json, config.json).",
      helpValue: '<file>',
    }),
    strict: Flags.boolean({
      summary: 'Refuse tower keys nothing maps (--no-strict skips them).',
      default: true,
      allowNo: true,
    }),
    backend: backendFlag,
  };

  public async run(): Promise<ConvertJson> {
    const { args, flags } = await this.parse(Convert);
    try {
      const family = getFamily(flags.family);
      const layerNormEps = parseLayerNormEps(flags['layer-norm-eps']);
      const startBackend = async () => {
        const backend = await initBackend(flags.backend as BackendRequest);
        // On stderr also under --json, where logToStderr is silent.
        process.stderr.write(`convert: backend ${describeBackend(backend)}\n`);
      };
      const result = await convertCheckpoint({
        checkpointPath: args.checkpoint,
        family,
        outDir: flags.out,
        imageSize: flags['image-size'],
        nHeads: flags['n-heads'],
        gelu: flags.gelu === undefined ? undefined : GELU_BY_NAME[flags.gelu],
        layerNormEps,
        configPath: flags.config,
        strict: flags.strict,
        readCheckpoint,
        beforeBuild: startBackend,
      });
      if (!this.jsonEnabled()) this.log(formatResult(result));
      return { ...result, family: family.name };
    } catch (error) {
      failInOneLine(this, error);
    }
  }
}
