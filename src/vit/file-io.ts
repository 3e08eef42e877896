/**
 * Plain tfjs saving and loading of a model directory (`model.json` plus its
 * weight files, src/vit/weight-files.ts) through `file://` URLs, with Node's
 * fs, on every backend. tfjs-node brings its own `file://` handler; where it
 * is absent we register ours, so `tf.loadLayersModel('file://<dir>/model.json')`
 * works everywhere. These go through tfjs's artifacts, which hold all weight
 * bytes at once (our loader gives one buffer per file and never joins them;
 * tfjs then copies each weight out): about twice the weights in memory.
 * `loadVit` reads weight by weight instead (src/vit/model-dir.ts).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { tf } from '../tf.js';
import { MODEL_FILE, readModelJson } from './model-dir.js';
import { openWeightFiles, WeightFilesWriter } from './weight-files.js';

/** An IOHandler that writes `<dir>/model.json` and the weight files (1 GiB each at most, or `maxFileBytes`). */
export function makeDirectorySaver(dir: string, maxFileBytes?: number): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (!artifacts.modelTopology || !artifacts.weightSpecs || !artifacts.weightData) {
        throw new Error(`file-io: nothing to save to ${dir} (model has no topology or weights)`);
      }
      await fs.mkdir(dir, { recursive: true });
      const parts = Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData];
      const totalBytes = parts.reduce((n, part) => n + part.byteLength, 0);
      const writer = new WeightFilesWriter(dir, totalBytes, maxFileBytes);
      let paths: string[];
      try {
        for (const part of parts) await writer.write(new Uint8Array(part));
        paths = await writer.close();
      } catch (error) {
        await writer.abort();
        throw error;
      }
      const manifest: tf.io.ModelJSON = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths, weights: artifacts.weightSpecs }],
      };
      await fs.writeFile(path.join(dir, MODEL_FILE), JSON.stringify(manifest));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: totalBytes } };
    },
  };
}

/**
 * An IOHandler that reads a `model.json` (path to the file or its directory) and its weight files, one buffer per file.
 */
export function makeDirectoryLoader(modelPath: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const { jsonPath, manifest } = await readModelJson(modelPath);
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const weightData: ArrayBuffer[] = [];
      for (const group of manifest.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const file of group.paths) {
          const reader = await openWeightFiles(path.dirname(jsonPath), [file]);
          try {
            const bytes = await reader.read(0, reader.totalBytes);
            weightData.push(bytes.buffer as ArrayBuffer);
          } finally {
            await reader.close();
          }
        }
      }
      return {
        modelTopology: manifest.modelTopology,
        weightSpecs,
        weightData,
        format: manifest.format,
        generatedBy: manifest.generatedBy,
        convertedBy: manifest.convertedBy,
      };
    },
  };
}

/** Registers `file://` load/save routers unless a backend (tfjs-node) already has them. */
export function registerFileRouters(): void {
  const strip = (url: string) => url.slice('file://'.length);
  if (tf.io.getLoadHandlers('file:///probe/model.json').length === 0) {
    tf.io.registerLoadRouter(((url: string | string[]) =>
      typeof url === 'string' && url.startsWith('file://') ? makeDirectoryLoader(strip(url)) : null) as Parameters<
      typeof tf.io.registerLoadRouter
    >[0]);
  }
  if (tf.io.getSaveHandlers('file:///probe').length === 0) {
    tf.io.registerSaveRouter(((url: string | string[]) =>
      typeof url === 'string' && url.startsWith('file://') ? makeDirectorySaver(strip(url)) : null) as Parameters<
      typeof tf.io.registerLoadRouter
    >[0]);
  }
}
