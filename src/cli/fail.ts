/**
 * How a command reports a user error: its first line on stderr, exit 1. oclif's
 * own `this.error` wraps messages at 80 columns, splitting paths and hashes a
 * user would copy; with --json, oclif's JSON error document is kept.
 */
import type { Command } from '@oclif/core';

export function failInOneLine(command: Command, error: unknown): never {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  if (command.jsonEnabled()) command.error(message, { exit: 1 });
  process.stderr.write(`Error: ${message}\n`);
  return command.exit(1);
}
