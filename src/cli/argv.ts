/**
 * saev (tyro) takes negative layer lists as `--vit-layers -2 -1`. A generic
 * flag parser reads `-1` as an unknown short flag, so before parsing we
 * rewrite every integer that follows `--vit-layers` into `--vit-layers=<n>`.
 * `--vit-layers=-2,-1` and repeated `--vit-layers -2 --vit-layers -1` pass
 * through unchanged.
 */

const INTEGER = /^-?\d+$/;

export function normalizeListFlag(argv: readonly string[], flag: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== flag) {
      out.push(argv[i]);
      continue;
    }
    let j = i + 1;
    while (j < argv.length && INTEGER.test(argv[j])) out.push(`${flag}=${argv[j++]}`);
    if (j === i + 1) out.push(argv[i]);
    i = j - 1;
  }
  return out;
}
