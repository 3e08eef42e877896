#!/usr/bin/env node
// The `saev` command line (oclif). Commands live in commands/ and are compiled to dist/commands.
//
// CommonJS (bin/package.json), so this runs before anything starts libuv's thread pool: the pool runs
// sharp's image decodes and has 4 threads unless UV_THREADPOOL_SIZE is set first, which would leave a
// GPU extraction decoding on 4 cores of many. An ES module entry starts the pool while it loads.
const { availableParallelism } = require('node:os');
const path = require('node:path');

process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, availableParallelism()));
require('@oclif/core').execute({ dir: path.join(__dirname, '..') });
