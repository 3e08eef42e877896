/**
 * Worker thread for `Sha256Stream`: keeps one sha256 per stream id and
 * answers every request, in order, with `{ id, hex? }` (`hex` for `digest`)
 * or `{ id, error }`. An `update` hands its buffer back (`{ id, buffer }`,
 * transferred) for the next copy, so no chunk costs fresh memory.
 */
import { createHash, Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

export type HashRequest = { id: number; op: 'update'; bytes: Uint8Array } | { id: number; op: 'digest' } | { id: number; op: 'drop' };

const hashes = new Map<number, Hash>();

parentPort!.on('message', (request: HashRequest) => {
  try {
    if (request.op === 'update') {
      let hash = hashes.get(request.id);
      if (!hash) hashes.set(request.id, (hash = createHash('sha256')));
      hash.update(request.bytes);
      parentPort!.postMessage({ id: request.id, buffer: request.bytes.buffer }, [request.bytes.buffer as ArrayBuffer]);
    } else if (request.op === 'digest') {
      const hex = (hashes.get(request.id) ?? createHash('sha256')).digest('hex');
      hashes.delete(request.id);
      parentPort!.postMessage({ id: request.id, hex });
    } else {
      hashes.delete(request.id);
      parentPort!.postMessage({ id: request.id });
    }
  } catch (error) {
    hashes.delete(request.id);
    parentPort!.postMessage({ id: request.id, error: (error as Error).message });
  }
});
