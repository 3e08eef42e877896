/**
 * Worker thread for `Sha256Stream`: keeps one sha256 per stream and answers
 * every request `{ id, op, stream }` with `{ id }`, `{ id, hex }` for
 * `digest`, or `{ id, error }`. An `update` hands its buffer back
 * (`{ id, buffer }`, transferred) for the next copy, so no chunk costs fresh
 * memory.
 */
import { createHash, Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

export type HashRequest =
  | { op: 'update'; stream: number; bytes: Uint8Array }
  | { op: 'digest'; stream: number }
  | { op: 'drop'; stream: number };

const hashes = new Map<number, Hash>();

parentPort!.on('message', (request: HashRequest & { id: number }) => {
  const { id, stream } = request;
  try {
    if (request.op === 'update') {
      let hash = hashes.get(stream);
      if (!hash) hashes.set(stream, (hash = createHash('sha256')));
      hash.update(request.bytes);
      parentPort!.postMessage({ id, buffer: request.bytes.buffer }, [request.bytes.buffer as ArrayBuffer]);
    } else if (request.op === 'digest') {
      const hex = (hashes.get(stream) ?? createHash('sha256')).digest('hex');
      hashes.delete(stream);
      parentPort!.postMessage({ id, hex });
    } else {
      hashes.delete(stream);
      parentPort!.postMessage({ id });
    }
  } catch (error) {
    hashes.delete(stream);
    parentPort!.postMessage({ id, error: `sha256 worker: ${(error as Error).message}` });
  }
});
