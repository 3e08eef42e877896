/**
 * Preloaded (`node --import`) into each command `npm run bench:sizes`
 * measures: when the process exits, writes its peak resident set size in
 * bytes (getrusage's maxrss, worker threads included) to the file that
 * `SAEV_MAX_RSS_FILE` names.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.SAEV_MAX_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS * 1024)));
