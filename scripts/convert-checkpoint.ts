/**
 * `npm run convert -- <checkpoint> --family <clip|siglip|dinov2|moondream2> --out <dir> [--image-size <px>]`:
 * converts an upstream checkpoint into a tfjs model directory. The logic lives in src/convert.
 */
import { runConvertCli } from '../src/convert/cli.js';

process.exitCode = await runConvertCli(process.argv.slice(2));
