/** What a dataset's setup reports (the `saev activations setup` document) and the hooks it logs through. */

export interface SetupHooks {
  /** Log lines (stderr). */
  log: (line: string) => void;
  /** Warnings (stderr). */
  warn: (line: string) => void;
}

export interface SetupReport {
  /** Dataset kind (`--data`). */
  kind: string;
  /** `--data-root` as given. */
  root: string;
  /** Images the dataset has; shard row i is dataset index i. */
  nImgs: number;
  /** `built`: no index was cached; `reused`: the cached index still matches; `rebuilt`: the dataset changed. */
  state: 'built' | 'reused' | 'rebuilt' | 'none';
  /** Where the index is cached, or null when the dataset needs none. */
  indexPath: string | null;
  /** One line for people. */
  summary: string;
  /** Kind-specific counts (files, classes, skipped files, ...). */
  details: Record<string, number | string>;
}
