/**
 * How a command reports a user error: its first line on stderr, exit 1. oclif's
 * own `this.error` wraps messages at 80 columns, splitting paths and hashes a
 * user would copy; with --json, oclif's JSON error document is kept.
 */
import type { Command } from '@oclif/core';
import { firstLine } from '../error-line.js';

export function failInOneLine(command: Command, error: unknown): never {
  const message = firstLine(error);
  if (command.jsonEnabled()) command.error(message, { exit: 1 });
  process.stderr.write(`Error: ${message}\n`);
  return command.exit(1);
}
