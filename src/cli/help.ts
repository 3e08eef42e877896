/**
 * `saev --help`: oclif's root help lists only topics (`activations`); this one
 * lists every command with its summary too, so a new user sees what to run.
 */
import { Help } from '@oclif/core';

export default class SaevHelp extends Help {
  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp();
    const commands = this.sortedCommands.filter((command) => !command.hidden);
    if (commands.length) this.log(this.formatCommands(commands));
  }
}
