/**
 * Saving and loading tfjs layers models as a directory (`model.json` plus
 * one `weights.bin`), with Node's fs, on every backend. tfjs-node brings its
 * own `file://` handler; where it is absent we register ours, so
 * `tf.loadLayersModel('file://<dir>/model.json')` works everywhere.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { tf } from '../backend.js';

const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

function toBuffer(data: ArrayBuffer | ArrayBuffer[]): Buffer {
  return Buffer.concat((Array.isArray(data) ? data : [data]).map((part) => Buffer.from(part)));
}

/** An IOHandler that writes `<dir>/model.json` and `<dir>/weights.bin`. */
export function makeDirectorySaver(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (!artifacts.modelTopology || !artifacts.weightSpecs || !artifacts.weightData) {
        throw new Error(`file-io: nothing to save to ${dir} (model has no topology or weights)`);
      }
      await fs.mkdir(dir, { recursive: true });
      const weights = toBuffer(artifacts.weightData as ArrayBuffer | ArrayBuffer[]);
      await fs.writeFile(path.join(dir, WEIGHTS_FILE), weights);
      const manifest = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
      };
      await fs.writeFile(path.join(dir, MODEL_FILE), JSON.stringify(manifest));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    },
  };
}

/** An IOHandler that reads a `model.json` (path to the file or its directory) and its weight files. */
export function makeDirectoryLoader(modelPath: string): tf.io.IOHandler {
  const jsonPath = modelPath.endsWith('.json') ? modelPath : path.join(modelPath, MODEL_FILE);
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      let manifest: tf.io.ModelJSON;
      try {
        manifest = JSON.parse(await fs.readFile(jsonPath, 'utf8')) as tf.io.ModelJSON;
      } catch (error) {
        throw new Error(`file-io: cannot read ${jsonPath} (${(error as Error).message.split('\n')[0]})`);
      }
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const parts: Buffer[] = [];
      for (const group of manifest.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const file of group.paths) parts.push(await fs.readFile(path.join(path.dirname(jsonPath), file)));
      }
      const weights = Buffer.concat(parts);
      return {
        modelTopology: manifest.modelTopology,
        weightSpecs,
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
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
      typeof url === 'string' && url.startsWith('file://') ? makeDirectoryLoader(strip(url)) : null) as Parameters<typeof tf.io.registerLoadRouter>[0]);
  }
  if (tf.io.getSaveHandlers('file:///probe').length === 0) {
    tf.io.registerSaveRouter(((url: string | string[]) =>
      typeof url === 'string' && url.startsWith('file://') ? makeDirectorySaver(strip(url)) : null) as Parameters<typeof tf.io.registerLoadRouter>[0]);
  }
}
