/**
 * The network half of a converted model directory, written and read one
 * weight at a time: `model.json` (tfjs's layers-model format: the topology
 * and a weights manifest) and its weight files (src/vit/weight-files.ts).
 * Writing takes each weight's values from a callback (a checkpoint tensor
 * being converted, or a live model's weight read back) and appends them to
 * the files; loading builds the network from `model.json` with every weight
 * an untouched zero (tfjs's fast weight init, which tf.loadLayersModel also
 * uses), then reads each weight's bytes into it. Neither holds more than the
 * model plus one weight, so a model converts and loads in about its own size
 * of memory, and no buffer is ever the size of all weights. Both return the
 * sha256 of the weights' bytes in model order, computed on the way.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { settleTensor, tf } from '../tf.js';
import { openWeightFiles, WeightFilesReader, WeightFilesWriter } from './weight-files.js';
import { getNumel } from '../checkpoint/tensor-data.js';

export const MODEL_FILE = 'model.json';

export interface WriteModelOptions {
  /** Largest weight file (default 1 GiB); tests pass a few kB. */
  maxFileBytes?: number;
  /** Recorded as `convertedBy` in model.json. */
  convertedBy?: string;
}

/** The weight names model.json lists; tfjs matches them to a model's weights by `originalName`. */
function getWeightSpecs(model: tf.LayersModel): tf.io.WeightsManifestEntry[] {
  return model.weights.map((weight) => {
    if (weight.dtype !== 'float32')
      throw new Error(`weights: ${weight.originalName} is ${weight.dtype}; only float32 weights are written`);
    return { name: weight.originalName, shape: [...weight.shape] as number[], dtype: 'float32' };
  });
}

/**
 * Writes `model`'s topology and weights into the existing directory `dir`,
 * asking `getValues` for each weight (row-major, the weight's shape) in model
 * order; `model.json` comes last. Returns the sha256 of the weight bytes.
 */
export async function writeModelDir(
  dir: string,
  model: tf.LayersModel,
  getValues: (weight: tf.LayerVariable, index: number) => Promise<Float32Array> | Float32Array,
  options: WriteModelOptions = {},
): Promise<string> {
  const specs = getWeightSpecs(model);
  const writer = new WeightFilesWriter(
    dir,
    specs.reduce((n, spec) => n + 4 * getNumel(spec.shape), 0),
    options.maxFileBytes,
  );
  const hash = createHash('sha256');
  let paths: string[];
  try {
    for (const [i, weight] of model.weights.entries()) {
      const values = await getValues(weight, i);
      if (values.length !== getNumel(specs[i].shape)) {
        throw new Error(
          `weights: ${specs[i].name} got ${values.length} values, expected [${specs[i].shape.join(', ')}]`,
        );
      }
      const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
      hash.update(bytes);
      await writer.write(bytes);
    }
    paths = await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  const modelJson: tf.io.ModelJSON = {
    modelTopology: model.toJSON(null, false) as tf.io.ModelJSON['modelTopology'],
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: options.convertedBy ?? null,
    weightsManifest: [{ paths, weights: specs }],
  };
  await fs.writeFile(path.join(dir, MODEL_FILE), JSON.stringify(modelJson));
  return hash.digest('hex');
}

/** Reads `<dir>/model.json` (or the .json file named), with a one-line error. */
export async function readModelJson(modelPath: string): Promise<{ jsonPath: string; manifest: tf.io.ModelJSON }> {
  const jsonPath = modelPath.endsWith('.json') ? modelPath : path.join(modelPath, MODEL_FILE);
  try {
    return { jsonPath, manifest: JSON.parse(await fs.readFile(jsonPath, 'utf8')) as tf.io.ModelJSON };
  } catch (error) {
    throw new Error(`file-io: cannot read ${jsonPath} (${(error as Error).message.split('\n')[0]})`, { cause: error });
  }
}

/**
 * tfjs's deserializer hook for the top-level `Model`: build it as
 * tf.loadLayersModel does when weights come with it, every weight an
 * untouched zero (`fastWeightInit`), since we read the weights in next.
 */
function getZeroInitHook(): tf.serialization.ConfigDict {
  const fromConfig = (
    cls: typeof tf.LayersModel,
    config: tf.serialization.ConfigDict,
    custom: tf.serialization.ConfigDict,
  ) => tf.LayersModel.fromConfig(cls, config, custom, true);
  return { Model: [tf.LayersModel, fromConfig] } as unknown as tf.serialization.ConfigDict;
}

interface Located {
  spec: tf.io.WeightsManifestEntry;
  group: number;
  offset: number;
}

/** Where each weight's bytes are: its manifest group and byte offset in that group's files. */
function locateWeights(
  manifest: tf.io.ModelJSON,
  jsonPath: string,
): { located: Map<string, Located>; groupBytes: number[] } {
  const located = new Map<string, Located>();
  const groupBytes = manifest.weightsManifest.map(({ weights }, group) => {
    let offset = 0;
    for (const spec of weights) {
      if (spec.dtype !== 'float32' || spec.quantization) {
        const found = spec.quantization ? `quantized to ${spec.quantization.dtype}` : spec.dtype;
        throw new Error(
          `weights: ${spec.name} in ${jsonPath} is ${found}; only float32 weights are read (convert the checkpoint again)`,
        );
      }
      located.set(spec.name, { spec, group, offset });
      offset += 4 * getNumel(spec.shape);
    }
    return offset;
  });
  return { located, groupBytes };
}

/**
 * Loads the model in `dir` weight by weight; every model weight must be in
 * the manifest with its shape, and every manifest weight must be used.
 * Returns the model and the sha256 of its weights' bytes in model order.
 */
export async function loadModelDir(dir: string): Promise<{ model: tf.LayersModel; weightsSha256: string }> {
  const { jsonPath, manifest } = await readModelJson(dir);
  if (!manifest.modelTopology || !Array.isArray(manifest.weightsManifest)) {
    throw new Error(`file-io: ${jsonPath} has no modelTopology or weightsManifest (not a tfjs layers model)`);
  }
  const { located, groupBytes } = locateWeights(manifest, jsonPath);
  const readers: WeightFilesReader[] = [];
  try {
    for (const [i, group] of manifest.weightsManifest.entries()) {
      readers.push(await openWeightFiles(path.dirname(jsonPath), group.paths));
      if (readers[i].totalBytes !== groupBytes[i]) {
        throw new Error(
          `weights: ${group.paths.join(', ')} beside ${jsonPath} hold ${readers[i].totalBytes} bytes but its manifest lists ${groupBytes[i]}; ` +
            `the files are truncated or not this model's`,
        );
      }
    }
  } catch (error) {
    await Promise.all(readers.map((reader) => reader.close()));
    throw error;
  }
  const model = await tf.models.modelFromJSON({ modelTopology: manifest.modelTopology }, getZeroInitHook());
  const hash = createHash('sha256');
  try {
    const unused = new Set(located.keys());
    for (const weight of model.weights) {
      const where = located.get(weight.originalName);
      if (!where)
        throw new Error(
          `weights: ${jsonPath} lists no weight ${weight.originalName}, which its topology has; convert the model again`,
        );
      unused.delete(weight.originalName);
      const { spec, group, offset } = where;
      if (spec.shape.length !== weight.shape.length || spec.shape.some((n, i) => n !== weight.shape[i])) {
        throw new Error(
          `weights: ${spec.name} in ${jsonPath} is [${spec.shape.join(', ')}] but the topology wants [${weight.shape.join(', ')}]`,
        );
      }
      const size = getNumel(spec.shape);
      const bytes = await readers[group].read(offset, 4 * size);
      hash.update(bytes);
      const value = tf.tensor(new Float32Array(bytes.buffer, bytes.byteOffset, size), spec.shape, 'float32');
      weight.write(value);
      value.dispose(); // the variable keeps the values
      settleTensor(weight.read());
    }
    if (unused.size > 0)
      throw new Error(
        `weights: ${jsonPath} lists ${[...unused][0]}, which its topology does not have; convert the model again`,
      );
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    await Promise.all(readers.map((reader) => reader.close()));
  }
  return { model, weightsSha256: hash.digest('hex') };
}
