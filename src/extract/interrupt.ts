/**
 * What a job says when it is stopped (Ctrl-C, Slurm's SIGTERM at the time limit): how many shards are
 * complete and that rerunning the same command resumes. The shard being written stays unfinished (no
 * marker); the next run removes its temporary file and redoes it.
 */
export interface InterruptWatch {
  /** Stops listening (the job ended on its own). */
  stop(): void;
}

const EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

export function watchForInterrupt(describe: () => string, log: (line: string) => void): InterruptWatch {
  const handlers = Object.keys(EXIT_CODES).map((signal) => {
    const handler = () => {
      log(`interrupted (${signal}): ${describe()}; rerun the same command to resume`);
      process.exit(EXIT_CODES[signal]);
    };
    process.once(signal, handler);
    return [signal, handler] as const;
  });
  return { stop: () => handlers.forEach(([signal, handler]) => process.off(signal, handler)) };
}
