/**
 * The converter's command line (`npm run convert -- <checkpoint> --family F
 * --out DIR [--image-size PX] [--n-heads K] [--gelu exact|tanh|quick]
 * [--layer-norm-eps EPS] [--config FILE] [--no-strict] [--json]`): flags in,
 * one validated options object, `convertCheckpoint`, one summary out. Logs
 * go to stderr, the result to stdout.
 */
import { parseArgs } from 'node:util';
import { FAMILIES, getFamily } from '../../models/registry.js';
import { describeBackend, initBackend } from '../backend.js';
import { readCheckpoint } from '../checkpoint/read-checkpoint.js';
import type { GeluApproximation } from '../layers/gelu.js';
import { convertCheckpoint, ConvertOptions, ConvertResult } from './convert-checkpoint.js';
import { GELU_NAMES } from './infer-arch.js';

export const USAGE = `usage: npm run convert -- <checkpoint> --family <${Object.keys(FAMILIES).join('|')}> --out <dir>
       [--image-size <px>] [--n-heads <k>] [--gelu exact|tanh|quick] [--layer-norm-eps <eps>]
       [--config <file>] [--no-strict] [--json]

Converts an upstream checkpoint (.safetensors, or a torch.save .pt/.pth/.bin) into a tfjs model directory
(model.json, weight files of at most 1 GiB, saev-vit.json) for 'saev activations extract --vit-family F
--vit-ckpt <dir>'. The architecture comes from the tensor shapes and a config file beside the checkpoint
(open_clip_config.json, config.json); flags fill in what neither tells, and contradicting them is an error.
What nothing settles (a bare state dict's head count or GELU) is refused, naming the flag to pass.`;

const GELU_FLAGS: Record<string, GeluApproximation> = Object.fromEntries(Object.entries(GELU_NAMES).map(([ours, name]) => [name, ours as GeluApproximation]));

function parseGelu(value: string | undefined): GeluApproximation | undefined {
  if (value === undefined) return undefined;
  const gelu = Object.hasOwn(GELU_FLAGS, value) ? GELU_FLAGS[value] : undefined;
  if (!gelu) throw new Error(`convert: --gelu must be one of ${Object.keys(GELU_FLAGS).join(', ')}, found '${value}'`);
  return gelu;
}

function parseEps(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const eps = Number(value);
  if (!(eps > 0 && eps < 1)) throw new Error(`convert: --layer-norm-eps must be a number between 0 and 1, e.g. 1e-6, found '${value}'`);
  return eps;
}

function parsePositiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`convert: --${flag} must be a positive integer, found '${value}'`);
  return n;
}

/** Parses argv (without node and the script) into converter options; `readCheckpoint` is the real reader. */
export function parseConvertArgs(argv: string[]): { options: ConvertOptions; json: boolean } | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      family: { type: 'string' },
      out: { type: 'string' },
      'image-size': { type: 'string' },
      'n-heads': { type: 'string' },
      gelu: { type: 'string' },
      'layer-norm-eps': { type: 'string' },
      config: { type: 'string' },
      strict: { type: 'boolean', default: true },
      'no-strict': { type: 'boolean' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new Error(`convert: expected one checkpoint path, found ${positionals.length} (${USAGE.split('\n')[0]})`);
  if (!values.family) throw new Error(`convert: --family is required (one of ${Object.keys(FAMILIES).join(', ')})`);
  if (!values.out) throw new Error('convert: --out <dir> is required (a new directory for the converted model)');
  return {
    options: {
      checkpointPath: positionals[0],
      family: getFamily(values.family),
      outDir: values.out,
      imageSize: parsePositiveInt('image-size', values['image-size']),
      nHeads: parsePositiveInt('n-heads', values['n-heads']),
      gelu: parseGelu(values.gelu),
      layerNormEps: parseEps(values['layer-norm-eps']),
      configPath: values.config,
      strict: values['no-strict'] ? false : values.strict,
      readCheckpoint,
    },
    json: values.json ?? false,
  };
}

export function formatResult(result: ConvertResult): string {
  const a = result.arch;
  return [
    `converted ${result.format} (${result.layout}) -> ${result.outDir}`,
    `  arch: ${a.imageSize} px, patch ${a.patchSize}, width ${a.width}, depth ${a.depth}, heads ${a.nHeads}, mlp ${a.mlpWidth}` +
      `${a.mlp === 'swiglu' ? ' swiglu' : `, gelu ${GELU_NAMES[a.gelu]}`}, eps ${a.layerNormEps}, cls ${a.clsToken}, registers ${a.nRegisters}` +
      `${a.rope ? `, rope ${a.rope.pairing}` : ''}${result.config ? ` (config ${result.config})` : ''}`,
    `  skipped ${result.ignored.length} unused tower keys${result.unknown.length ? `, ${result.unknown.length} unknown keys (--no-strict)` : ''}`,
    `  sha256 ${result.sha256}`,
  ].join('\n');
}

/** Runs the CLI; returns the process exit code. */
export async function runConvertCli(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  try {
    const parsed = parseConvertArgs(argv);
    if (parsed === 'help') {
      out.write(`${USAGE}\n`);
      return 0;
    }
    const backend = await initBackend();
    err.write(`convert: backend ${describeBackend(backend)}\n`);
    const result = await convertCheckpoint(parsed.options);
    out.write(parsed.json ? `${JSON.stringify({ ...result, family: parsed.options.family.name })}\n` : `${formatResult(result)}\n`);
    return 0;
  } catch (error) {
    err.write(`${String(error instanceof Error ? error.message : error).split('\n')[0]}\n`);
    return 1;
  }
}
