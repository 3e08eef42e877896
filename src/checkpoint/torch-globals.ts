/**
 * The Python names a PyTorch checkpoint's pickle may use, and what each one
 * means here: the allowlist of the safe unpickler (close to torch's own
 * `weights_only` list). Tensors are rebuilt from `_rebuild_tensor_v2/v3`
 * (storage, offset, size, stride) over storages that `persistent_load`
 * describes; containers become Maps/arrays/Sets; `__torch__.*` classes (only
 * in TorchScript archives) become attribute bags. Any other name is refused
 * before anything is built, with an error naming `module.name`.
 */
import { isPickleGlobal, isTuple, makeGlobal, type PickleBuildable, type PickleGlobal } from './pickle.js';
import type { CheckpointTensor } from './state-dict.js';
import { DTYPE_SIZES, makeStridedTensor, type TensorDtype } from './tensor-data.js';

/** A tensor rebuilt from a pickle; wraps the strided view so tensors can be told from other values. */
export class RebuiltTensor implements CheckpointTensor {
  constructor(private readonly view: CheckpointTensor) {}
  get dtype() {
    return this.view.dtype;
  }
  get shape() {
    return this.view.shape;
  }
  toFloat32() {
    return this.view.toFloat32();
  }
}

/** An instance of a TorchScript class (`__torch__.*`): its attributes, as BUILD set them. */
export class ScriptObject implements PickleBuildable {
  attributes = new Map<string, unknown>();
  /** State that was not a dict of attributes (a class with its own `__getstate__`). */
  rawState: unknown = undefined;
  constructor(readonly className: string) {}
  setState(state: unknown): void {
    if (state instanceof Map && [...state.keys()].every((key) => typeof key === 'string')) {
      for (const [key, value] of state) this.attributes.set(key as string, value);
    } else this.rawState = state;
  }
}

/** A storage named by a persistent id: its dtype, element count, and a lazy read of its bytes. */
export interface PickledStorage {
  dtype: TensorDtype;
  numel: number;
  load: () => Uint8Array;
}

/** `torch.<Name>Storage` -> element dtype. */
const STORAGE_TYPES: Record<string, TensorDtype> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  UntypedStorage: 'uint8',
};

/** `torch.<name>` dtype objects -> dtype. */
const DTYPES: Record<string, TensorDtype> = {
  float32: 'float32',
  float: 'float32',
  float16: 'float16',
  half: 'float16',
  bfloat16: 'bfloat16',
  float64: 'float64',
  double: 'float64',
  int64: 'int64',
  long: 'int64',
  int32: 'int32',
  int: 'int32',
  int16: 'int16',
  short: 'int16',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
  uint16: 'uint16',
  uint32: 'uint32',
  uint64: 'uint64',
};

/** The dtype each storage-type or dtype global stands for (such globals are values, never called). */
const dtypeOf = new WeakMap<PickleGlobal, TensorDtype>();
function makeDtypeGlobal(module: string, name: string, dtype: TensorDtype): PickleGlobal {
  const global = makeGlobal(module, name);
  dtypeOf.set(global, dtype);
  return global;
}

export interface TorchResolverOptions {
  /** Names the pickle in errors. */
  where: string;
  /** Reads storage `key` (an entry under `<archive>/data/`). */
  loadStorageBytes(key: string): Uint8Array;
  /** Byte size of storage `key`, or undefined when the archive lacks it. */
  getStorageSize(key: string): number | undefined;
  /** Allow `__torch__.*` classes (TorchScript archives). */
  scriptObjects: boolean;
}

export function makeTorchResolver(options: TorchResolverOptions) {
  const { where } = options;
  const fail = (what: string): never => {
    throw new Error(`pickle: ${where}: ${what}`);
  };
  const storages = new Map<string, PickledStorage>();
  const made = new Set<unknown>();
  const isStorage = (value: unknown): value is PickledStorage => made.has(value);

  const rebuild = (storage: unknown, offset: unknown, size: unknown, stride: unknown, dtype?: TensorDtype) => {
    if (!isStorage(storage)) fail('_rebuild_tensor: first argument is not a storage from a persistent id');
    const s = storage as PickledStorage;
    const elementDtype = dtype ?? s.dtype;
    const storageBytes = s.numel * DTYPE_SIZES[s.dtype];
    if (storageBytes % DTYPE_SIZES[elementDtype])
      fail(`storage of ${storageBytes} bytes is not a whole number of ${elementDtype} elements`);
    if (!Array.isArray(size) || !Array.isArray(stride)) fail('_rebuild_tensor: size and stride must be tuples');
    return new RebuiltTensor(
      makeStridedTensor({
        dtype: elementDtype,
        shape: [...(size as number[])],
        stride: [...(stride as number[])],
        offset: offset as number,
        storageNumel: storageBytes / DTYPE_SIZES[elementDtype],
        loadStorage: s.load,
        where,
      }),
    );
  };
  const items = (args: readonly unknown[], what: string, pairs: boolean): unknown[] => {
    if (args.length === 0) return [];
    const list = args[0];
    if (
      args.length > 1 ||
      !Array.isArray(list) ||
      (pairs && !list.every((pair) => Array.isArray(pair) && pair.length === 2))
    ) {
      fail(`${what}: expected one list${pairs ? ' of (key, value) pairs' : ''}`);
    }
    return list as unknown[];
  };
  const asTensor = (value: unknown, what: string) => {
    if (!(value instanceof RebuiltTensor)) fail(`${what}: expected a tensor`);
    return value as RebuiltTensor;
  };

  const allowed: Record<string, Omit<PickleGlobal, 'module' | 'name'>> = {
    'collections.OrderedDict': {
      call: (args) => new Map(items(args, 'OrderedDict', true) as [unknown, unknown][]),
      newObject: () => new Map(),
    },
    'builtins.set': { call: (args) => new Set(items(args, 'set', false)) },
    'builtins.frozenset': { call: (args) => new Set(items(args, 'frozenset', false)) },
    '_codecs.encode': {
      // Protocol 2 writes bytes as _codecs.encode(latin-1 text, 'latin1').
      call: ([text, encoding]) => {
        if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1'))
          fail(`_codecs.encode: only latin1 text is accepted, got ${String(encoding)}`);
        return Uint8Array.from(text as string, (c) => c.charCodeAt(0) & 0xff);
      },
    },
    'torch._utils._rebuild_tensor_v2': {
      call: ([storage, offset, size, stride]) => rebuild(storage, offset, size, stride),
    },
    'torch._utils._rebuild_tensor_v3': {
      call: ([storage, offset, size, stride, , , dtype]) => {
        const d = isPickleGlobal(dtype) ? dtypeOf.get(dtype) : undefined;
        if (!d) fail('_rebuild_tensor_v3: last argument is not a torch dtype');
        return rebuild(storage, offset, size, stride, d);
      },
    },
    'torch._utils._rebuild_parameter': { call: ([data]) => asTensor(data, '_rebuild_parameter') },
    'torch._utils._rebuild_parameter_with_state': { call: ([data]) => asTensor(data, '_rebuild_parameter_with_state') },
    'torch._tensor._rebuild_from_type_v2': {
      // (func, type, args, state): a Tensor/Parameter carrying Python attributes; the attributes are dropped.
      call: ([func, type, args]) => {
        if (
          !isPickleGlobal(type) ||
          !['torch.Tensor', 'torch.nn.parameter.Parameter'].includes(`${type.module}.${type.name}`)
        ) {
          fail('_rebuild_from_type_v2: only torch.Tensor and torch.nn.Parameter subclasses are read');
        }
        if (!isPickleGlobal(func) || !func.call || !isTuple(args)) fail('_rebuild_from_type_v2: malformed arguments');
        return asTensor((func as PickleGlobal).call!(args as unknown[]), '_rebuild_from_type_v2');
      },
    },
    'torch.Tensor': {},
    'torch.nn.parameter.Parameter': {},
    'torch.Size': { call: (args) => Object.freeze(items(args, 'torch.Size', false)) },
    'torch.device': {
      call: ([name, index]) =>
        index === undefined || index === null ? String(name) : `${String(name)}:${String(index)}`,
    },
  };
  if (options.scriptObjects) {
    // TorchScript's pickler tags typed lists and dicts; the values are kept as they are.
    for (const name of ['build_intlist', 'build_floatlist', 'build_doublelist', 'build_boollist', 'build_tensorlist']) {
      allowed[`torch.jit._pickle.${name}`] = { call: ([list]) => list };
    }
    allowed['torch.jit._pickle.restore_type_tag'] = { call: ([value]) => value };
  }

  return {
    where,
    findGlobal(pickledModule: string, name: string): PickleGlobal {
      // Protocol 2 pickles written by Python 3 name builtins by their Python 2 module.
      const module = pickledModule === '__builtin__' ? 'builtins' : pickledModule;
      const full = `${module}.${name}`;
      if (module === 'torch' && STORAGE_TYPES[name]) return makeDtypeGlobal(module, name, STORAGE_TYPES[name]);
      if (full === 'torch.storage.UntypedStorage') return makeDtypeGlobal(module, name, 'uint8');
      if (module === 'torch' && DTYPES[name]) return makeDtypeGlobal(module, name, DTYPES[name]);
      if (Object.prototype.hasOwnProperty.call(allowed, full)) return makeGlobal(module, name, allowed[full]);
      if (options.scriptObjects && (module === '__torch__' || module.startsWith('__torch__.'))) {
        return makeGlobal(module, name, { newObject: () => new ScriptObject(full) });
      }
      return fail(
        `refusing global ${full}: not a tensor, storage or container type this reader allows (nothing was executed; ` +
          'a state dict saved with torch.save(model.state_dict(), path) or a safetensors file reads fine)',
      );
    },
    persistentLoad(pid: unknown): PickledStorage {
      if (!isTuple(pid) || pid[0] !== 'storage' || pid.length !== 5)
        fail(
          `unsupported persistent id ${JSON.stringify(String(pid))} (expected ('storage', type, key, location, numel))`,
        );
      const [, type, key, , numel] = pid as unknown[];
      const info = isPickleGlobal(type) ? dtypeOf.get(type) : undefined;
      if (!info) fail(`persistent id for storage ${String(key)} names no storage type`);
      if (typeof key !== 'string' || !Number.isSafeInteger(numel) || (numel as number) < 0)
        fail('persistent id has a bad key or size');
      const cached = storages.get(key as string);
      if (cached) return cached;
      const bytes = (numel as number) * DTYPE_SIZES[info!];
      const found = options.getStorageSize(key as string);
      if (found === undefined) fail(`storage data/${key as string} is missing from the archive`);
      if (found !== bytes)
        fail(
          `storage data/${key as string} has ${found} bytes but the pickle says ${numel as number} ${info!} elements (${bytes} bytes)`,
        );
      const storage: PickledStorage & { key: string } = {
        key: key as string,
        dtype: info!,
        numel: numel as number,
        load: () => options.loadStorageBytes(key as string),
      };
      storages.set(key as string, storage);
      made.add(storage);
      return storage;
    },
  };
}
