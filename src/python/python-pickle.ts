/**
 * `pickle.dumps(obj)` of Python 3.12 (protocol 4, the C pickler), byte for
 * byte, for the few shapes saev's dataset configs are made of: strings,
 * integers, tuples, dicts, classes, `copyreg.__newobj__` objects (a dataclass:
 * `NEWOBJ` with no arguments, then `BUILD` with its `__dict__`) and `REDUCE`
 * calls (a `PosixPath` from its parts).
 *
 * Every object is memoised (`MEMOIZE`) when first written and referred to by
 * `BINGET` when written again, and "again" means the same Python object, not
 * an equal one. So a string is `shared` when every equal string in the
 * pickled object is one object: interned strings (pathlib's parts, field
 * names), and in CPython every 1-character Latin-1 string and the empty
 * string. Classes are shared by module and name. The output is one frame
 * (`FRAME`), as the pickler writes anything from 4 to 64 KiB (shorter output
 * has none).
 */

export type PickleValue = PyStr | PyInt | PyTuple | PyDict | PyClass | PyNewObj | PyReduce;

/** A `str`; `shared`: one object for every equal string (see the module comment). */
export interface PyStr {
  kind: 'str';
  value: string;
  shared: boolean;
}
export interface PyInt {
  kind: 'int';
  value: bigint;
}
export interface PyTuple {
  kind: 'tuple';
  items: PickleValue[];
}
/** A dict in insertion order. */
export interface PyDict {
  kind: 'dict';
  entries: Array<[PickleValue, PickleValue]>;
}
/** A class or function, written by reference (`module.name`). */
export interface PyClass {
  kind: 'class';
  module: string;
  name: string;
}
/** An instance made by `cls.__new__(cls)` and given `state` (a dataclass without `__slots__`). */
export interface PyNewObj {
  kind: 'newobj';
  cls: PyClass;
  state: PyDict;
}
/** `callable(*args)`, e.g. `PosixPath('/', 'data')`. */
export interface PyReduce {
  kind: 'reduce';
  callable: PyClass;
  args: PyTuple;
}

export const pyStr = (value: string, shared = false): PyStr => ({ kind: 'str', value, shared });
export const pyInt = (value: number | bigint): PyInt => ({ kind: 'int', value: BigInt(value) });

const OP = {
  PROTO: 0x80,
  FRAME: 0x95,
  STOP: 0x2e,
  MEMOIZE: 0x94,
  BINGET: 0x68,
  LONG_BINGET: 0x6a,
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE: 0x58,
  BININT1: 0x4b,
  BININT2: 0x4d,
  BININT: 0x4a,
  LONG1: 0x8a,
  EMPTY_TUPLE: 0x29,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  MARK: 0x28,
  TUPLE: 0x74,
  EMPTY_DICT: 0x7d,
  SETITEM: 0x73,
  SETITEMS: 0x75,
  STACK_GLOBAL: 0x93,
  NEWOBJ: 0x81,
  REDUCE: 0x52,
  BUILD: 0x62,
} as const;

/** The C pickler's frame size target; larger output would be split into frames, which is not written here. */
const FRAME_SIZE_TARGET = 64 * 1024;
/** Shorter output is not framed. */
const FRAME_SIZE_MIN = 4;

/** `pickle.dumps(value)` under Python 3.12 (`pickle.DEFAULT_PROTOCOL` 4). */
export function pickleDumps(value: PickleValue): Uint8Array {
  const writer = new Writer();
  writer.save(value);
  writer.bytes.push(OP.STOP);
  const body = writer.bytes;
  if (body.length >= FRAME_SIZE_TARGET) {
    throw new Error(`pickle: ${body.length} bytes need more than one frame; only values under 64 KiB are written`);
  }
  if (body.length < FRAME_SIZE_MIN) return Uint8Array.from([OP.PROTO, 4, ...body]);
  const out = new Uint8Array(11 + body.length);
  out.set([OP.PROTO, 4, OP.FRAME]);
  new DataView(out.buffer).setBigUint64(3, BigInt(body.length), true);
  out.set(body, 11);
  return out;
}

/** UTF-8 with lone surrogates kept (Python's `surrogatepass`, which pickle uses for `str`). */
export function encodeUtf8Surrogatepass(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
      i++;
    }
    if (code < 0x80) out.push(code);
    else if (code < 0x800) out.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000) out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    else out.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 0x3f), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
  }
  return out;
}

/** Little-endian two's complement in the fewest bytes that keep the sign (`pickle.encode_long`). */
function encodeLong(x: bigint): number[] {
  const out: number[] = [];
  let rest = x;
  for (;;) {
    const byte = Number(BigInt.asUintN(8, rest));
    out.push(byte);
    rest >>= 8n;
    if ((rest === 0n && (byte & 0x80) === 0) || (rest === -1n && (byte & 0x80) !== 0)) return out;
  }
}

class Writer {
  readonly bytes: number[] = [];
  private nMemo = 0;
  /** Memo slots of shared objects, by identity key. */
  private readonly memo = new Map<string, number>();

  private u32(n: number): number[] {
    return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
  }

  /** Memoises the object just written; `key` when later writes of it must find it. */
  private memoize(key: string | null): void {
    if (key !== null) this.memo.set(key, this.nMemo);
    this.nMemo++;
    this.bytes.push(OP.MEMOIZE);
  }

  /** Writes `BINGET` and returns true when the object is already in the memo. */
  private recall(key: string | null): boolean {
    const slot = key === null ? undefined : this.memo.get(key);
    if (slot === undefined) return false;
    this.bytes.push(...(slot < 256 ? [OP.BINGET, slot] : [OP.LONG_BINGET, ...this.u32(slot)]));
    return true;
  }

  save(v: PickleValue): void {
    switch (v.kind) {
      case 'str': {
        const key =
          v.shared || v.value.length === 0 || (v.value.length === 1 && v.value.charCodeAt(0) < 256)
            ? `s:${v.value}`
            : null;
        if (this.recall(key)) return;
        const utf8 = encodeUtf8Surrogatepass(v.value);
        this.bytes.push(
          ...(utf8.length < 256 ? [OP.SHORT_BINUNICODE, utf8.length] : [OP.BINUNICODE, ...this.u32(utf8.length)]),
          ...utf8,
        );
        this.memoize(key);
        return;
      }
      case 'int':
        return this.saveInt(v.value);
      case 'tuple': {
        const n = v.items.length;
        if (n === 0) return void this.bytes.push(OP.EMPTY_TUPLE);
        if (n > 3) this.bytes.push(OP.MARK);
        for (const item of v.items) this.save(item);
        this.bytes.push(n > 3 ? OP.TUPLE : [OP.TUPLE1, OP.TUPLE2, OP.TUPLE3][n - 1]);
        return this.memoize(null);
      }
      case 'dict': {
        this.bytes.push(OP.EMPTY_DICT);
        this.memoize(null);
        if (v.entries.length > 1000)
          throw new Error('pickle: dicts of more than 1000 items (several SETITEMS batches) are not written here');
        if (v.entries.length > 1) this.bytes.push(OP.MARK);
        for (const [key, value] of v.entries) {
          this.save(key);
          this.save(value);
        }
        if (v.entries.length > 0) this.bytes.push(v.entries.length > 1 ? OP.SETITEMS : OP.SETITEM);
        return;
      }
      case 'class': {
        const key = `c:${v.module}\0${v.name}`;
        if (this.recall(key)) return;
        this.save(pyStr(v.module, true));
        this.save(pyStr(v.name, true));
        this.bytes.push(OP.STACK_GLOBAL);
        return this.memoize(key);
      }
      case 'newobj':
        this.save(v.cls);
        this.bytes.push(OP.EMPTY_TUPLE, OP.NEWOBJ);
        this.memoize(null);
        this.save(v.state);
        return void this.bytes.push(OP.BUILD);
      case 'reduce':
        this.save(v.callable);
        this.save(v.args);
        this.bytes.push(OP.REDUCE);
        return this.memoize(null);
    }
  }

  private saveInt(x: bigint): void {
    if (x >= 0n && x <= 0xffn) this.bytes.push(OP.BININT1, Number(x));
    else if (x >= 0n && x <= 0xffffn) this.bytes.push(OP.BININT2, Number(x) & 0xff, Number(x) >> 8);
    else if (x >= -(2n ** 31n) && x < 2n ** 31n) this.bytes.push(OP.BININT, ...this.u32(Number(BigInt.asUintN(32, x))));
    else {
      const body = encodeLong(x);
      if (body.length > 255) throw new Error(`pickle: integer ${x} needs LONG4, which is not written here`);
      this.bytes.push(OP.LONG1, body.length, ...body);
    }
  }
}
