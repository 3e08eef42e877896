import { Args, Command } from '@oclif/core';
import { verifyShardDir, VerifyReport } from '../../src/shards/verify-shards.js';
import { formatCount } from '../../src/progress.js';

export default class Verify extends Command {
  static override summary = 'Check a shard directory: metadata, sidecars, every shard complete, digests, no NaN/Inf.';

  static override description = `Reads every byte of <shard-dir> (either format, saev-0.1 or saev-2.1) once and lists each problem on its
own line: metadata.json not hashing to the directory name (or a 2.1 directory outside saev/shards, where saev
cannot load it), saev-tfjs.json, shards.json or labels.bin disagreeing with it, shards missing, short or
unfinished (no completion marker), sha256 different from the one recorded when the shard was completed,
NaN or Inf values, non-zero padding, and leftovers of interrupted work. Exits 1 when anything is wrong.`;

  static override examples = [
    {
      description: 'Check a finished extraction',
      command:
        '<%= config.bin %> <%= command.id %> shards/3959e531322347c5f00f14348b4e4264869a91f0d4325282767bb6a6dbccf2b4',
    },
    {
      description: 'Machine-readable report',
      command: '<%= config.bin %> <%= command.id %> shards/3959e531... --json',
    },
  ];

  static override enableJsonFlag = true;

  static override args = {
    'shard-dir': Args.string({
      description: 'A shard directory (<dump-to>/<hash>, or <dump-to>/saev/shards/<hash> for saev-2.1).',
      required: true,
    }),
  };

  public async run(): Promise<VerifyReport> {
    const { args } = await this.parse(Verify);
    const report = await verifyShardDir(args['shard-dir']);
    if (!this.jsonEnabled()) {
      for (const problem of report.problems) this.log(`${problem.kind}: ${problem.message}`);
      const what =
        report.nShards === null
          ? ''
          : `${report.nShardsVerified} of ${report.nShards} shards verified (${report.nImgs} images, ${report.dtype})`;
      this.log(
        report.ok
          ? `ok: ${what}`
          : `FAILED: ${formatCount(report.problems.length, 'problem')}${what ? `; ${what}` : ''}`,
      );
    }
    if (!report.ok) process.exitCode = 1;
    return report;
  }
}
