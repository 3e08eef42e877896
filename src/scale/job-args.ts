/**
 * The command line of one job of a split extraction, made from the user's
 * own argv (so every extraction flag, including ones added later, carries
 * over unchanged): the launcher flags (`--local`, `--slurm*`, `--log-to`,
 * `--dry-run`, `--wait`, `--json`) and the split flags are removed, then
 * `--n-jobs N` (and `--job-index I` where given) are appended.
 */

/** Launcher and split flags that take a value. */
const VALUE_FLAGS = [
  '--n-jobs',
  '--job-index',
  '--slurm-acct',
  '--slurm-partition',
  '--slurm-time',
  '--slurm-cpus',
  '--slurm-gpus',
  '--slurm-mem',
  '--log-to',
];
/** Launcher flags that are switches. */
const SWITCH_FLAGS = ['--local', '--slurm', '--no-slurm', '--no-local', '--dry-run', '--wait', '--json'];

export function getJobArgs(argv: readonly string[], nJobs: number, jobIndex?: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (SWITCH_FLAGS.includes(arg)) continue;
    if (VALUE_FLAGS.includes(arg)) {
      i++; // skip its value
      continue;
    }
    if (VALUE_FLAGS.some((flag) => arg.startsWith(`${flag}=`))) continue;
    out.push(arg);
  }
  out.push('--n-jobs', String(nJobs));
  if (jobIndex !== undefined) out.push('--job-index', String(jobIndex));
  return out;
}

/** POSIX shell single-quoting of one word. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./=:,@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
