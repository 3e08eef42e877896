/**
 * `saev --help`: oclif's root help lists only topics (`activations`) and
 * commands outside them (`convert`); this one lists every command with its
 * summary under one heading (oclif's `--all`), so a new user sees what to run.
 */
import { Help } from '@oclif/core';

export default class SaevHelp extends Help {
  protected override async showRootHelp(): Promise<void> {
    this.opts.all = true;
    await super.showRootHelp();
  }
}
