#!/usr/bin/env node
// The `saev` command line (oclif). Commands live in commands/ and are compiled to dist/commands.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
