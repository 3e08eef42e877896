/**
 * A safe reader of Python pickles (protocols 0-5, the opcodes torch and
 * Python's pickle emit for containers, numbers and strings). It executes
 * nothing: every GLOBAL goes through the caller's `findGlobal`, which returns
 * an inert description of an allowed name (or throws to refuse it), and
 * REDUCE/NEWOBJ/BUILD only call what that description provides. There is no
 * code path that evaluates, imports or looks anything up by name.
 *
 * Python values become: None -> null; bool; int -> number (bigint beyond
 * 2**53); float -> number; str -> string; bytes -> Uint8Array; list -> array;
 * tuple -> frozen array; dict -> Map; set/frozenset -> Set.
 */

/** A Python global the resolver allowed: a name plus what it may do when called. */
export interface PickleGlobal {
  readonly module: string;
  readonly name: string;
  /** REDUCE: `callable(*args)`. Absent: calling it is refused. */
  call?(args: readonly unknown[]): unknown;
  /** NEWOBJ: `cls.__new__(cls, *args)`. Absent: refused. */
  newObject?(args: readonly unknown[]): unknown;
}

/** An object BUILD may set state on (`obj.__setstate__(state)`). */
export interface PickleBuildable {
  setState(state: unknown): void;
}

export interface PickleOptions {
  /** Resolves GLOBAL and STACK_GLOBAL; throws to refuse a name. */
  findGlobal(module: string, name: string): PickleGlobal;
  /** BINPERSID/PERSID: the object a persistent id stands for. Absent: persistent ids are refused. */
  persistentLoad?(pid: unknown): unknown;
  /** Names the pickle in errors, e.g. `model.pt: archive/data.pkl`. */
  where: string;
}

/** Instance attributes BUILD set on a dict (an OrderedDict's `__dict__`, e.g. a state dict's `_metadata`). */
export const dictAttributes = new WeakMap<Map<unknown, unknown>, unknown>();

export function isPickleGlobal(value: unknown): value is PickleGlobal {
  return value instanceof AllowedGlobal;
}

/** Tuples are frozen arrays; lists are ordinary ones. */
export function isTuple(value: unknown): value is readonly unknown[] {
  return Array.isArray(value) && Object.isFrozen(value);
}

class AllowedGlobal implements PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    private readonly impl: Omit<PickleGlobal, 'module' | 'name'>,
  ) {}
  get call() {
    return this.impl.call;
  }
  get newObject() {
    return this.impl.newObject;
  }
}

/** Wraps a resolver's answer so only globals made here can be called. */
export function makeGlobal(
  module: string,
  name: string,
  impl: Omit<PickleGlobal, 'module' | 'name'> = {},
): PickleGlobal {
  return new AllowedGlobal(module, name, impl);
}

const tuple = (items: unknown[]): readonly unknown[] => Object.freeze(items);

export function loadPickle(bytes: Uint8Array, options: PickleOptions): unknown {
  const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const latin1 = new TextDecoder('latin1');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  let opAt = 0;

  const fail = (what: string): never => {
    throw new Error(`pickle: ${options.where}: ${what} (opcode at byte ${opAt})`);
  };
  const need = (n: number) => {
    if (pos + n > bytes.byteLength) fail(`unexpected end of data, wanted ${n} more bytes (truncated?)`);
  };
  const u8 = () => {
    need(1);
    return bytes[pos++];
  };
  const u16 = () => {
    need(2);
    pos += 2;
    return data.getUint16(pos - 2, true);
  };
  const u32 = () => {
    need(4);
    pos += 4;
    return data.getUint32(pos - 4, true);
  };
  const i32 = () => {
    need(4);
    pos += 4;
    return data.getInt32(pos - 4, true);
  };
  const u64 = () => {
    need(8);
    const value = data.getBigUint64(pos, true);
    pos += 8;
    if (value > BigInt(bytes.byteLength)) fail(`length ${value} exceeds the pickle size`);
    return Number(value);
  };
  const take = (n: number) => {
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated text argument (truncated?)');
    const text = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const text = (n: number) => {
    const raw = take(n);
    try {
      return utf8.decode(raw);
    } catch {
      return fail('invalid UTF-8 in a string');
    }
  };
  const pop = () => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1]))
      fail('stack underflow (malformed pickle)');
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) fail('stack underflow (malformed pickle)');
    return stack[stack.length - 1];
  };
  const popMark = () => {
    const at = marks.pop();
    if (at === undefined) fail('no MARK to pop to (malformed pickle)');
    return stack.splice(at as number);
  };
  const small = (value: bigint) =>
    value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  const long = (raw: Uint8Array) => {
    if (raw.byteLength === 0) return 0;
    let value = 0n;
    for (let i = raw.byteLength - 1; i >= 0; i--) value = (value << 8n) | BigInt(raw[i]);
    if (raw[raw.byteLength - 1] & 0x80) value -= 1n << BigInt(8 * raw.byteLength);
    return small(value);
  };
  const global = (module: string, name: string) => {
    const resolved = options.findGlobal(module, name);
    if (!isPickleGlobal(resolved)) fail(`resolver returned something other than makeGlobal() for ${module}.${name}`);
    return resolved;
  };
  const persistent = (pid: unknown) => {
    if (!options.persistentLoad) fail('persistent id found, but this pickle may not reference external data');
    return options.persistentLoad!(pid);
  };
  const setItems = (target: unknown, items: unknown[]) => {
    if (!(target instanceof Map)) fail('SETITEM(S) on something that is not a dict');
    if (items.length % 2) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) (target as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const append = (target: unknown, items: unknown[]) => {
    if (!Array.isArray(target) || Object.isFrozen(target)) fail('APPEND(S) on something that is not a list');
    for (const item of items) (target as unknown[]).push(item);
  };
  const describe = (value: unknown) => (isPickleGlobal(value) ? `${value.module}.${value.name}` : typeof value);

  for (;;) {
    opAt = pos;
    if (pos >= bytes.byteLength) fail('no STOP opcode (truncated?)');
    const op = bytes[pos++];
    switch (op) {
      case 0x80: {
        const protocol = u8();
        if (protocol > 5) fail(`unsupported pickle protocol ${protocol}`);
        break;
      } // PROTO
      case 0x95:
        u64();
        break; // FRAME: a length hint only
      case 0x2e: {
        // STOP
        if (stack.length !== 1 || marks.length)
          fail(`STOP with ${stack.length} values on the stack (malformed pickle)`);
        return stack[0];
      }
      case 0x28:
        marks.push(stack.length);
        break; // MARK
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x4a:
        stack.push(i32());
        break; // BININT
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(u16());
        break; // BININT2
      case 0x8a:
        stack.push(long(take(u8())));
        break; // LONG1
      case 0x8b: {
        const n = i32();
        if (n < 0) fail('negative LONG4 length');
        stack.push(long(take(n)));
        break;
      } // LONG4
      case 0x49: {
        // INT (text); I01/I00 are True/False
        const value = line();
        if (value === '01' || value === '00') stack.push(value === '01');
        else if (/^[-+]?\d+$/.test(value)) stack.push(small(BigInt(value)));
        else fail(`bad INT argument '${value}'`);
        break;
      }
      case 0x4c: {
        const value = line().replace(/L$/, '');
        if (!/^[-+]?\d+$/.test(value)) fail(`bad LONG argument '${value}'`);
        stack.push(small(BigInt(value)));
        break;
      } // LONG
      case 0x47: {
        need(8);
        stack.push(data.getFloat64(pos, false));
        pos += 8;
        break;
      } // BINFLOAT (big-endian)
      case 0x46: {
        const value = Number(line());
        stack.push(value);
        break;
      } // FLOAT (text)
      case 0x58:
        stack.push(text(u32()));
        break; // BINUNICODE
      case 0x8c:
        stack.push(text(u8()));
        break; // SHORT_BINUNICODE
      case 0x8d:
        stack.push(text(u64()));
        break; // BINUNICODE8
      case 0x54: {
        const n = i32();
        if (n < 0) fail('negative BINSTRING length');
        stack.push(latin1.decode(take(n)));
        break;
      } // BINSTRING
      case 0x55:
        stack.push(latin1.decode(take(u8())));
        break; // SHORT_BINSTRING
      case 0x42:
        stack.push(take(u32()).slice());
        break; // BINBYTES
      case 0x43:
        stack.push(take(u8()).slice());
        break; // SHORT_BINBYTES
      case 0x8e:
        stack.push(take(u64()).slice());
        break; // BINBYTES8
      case 0x96:
        stack.push(take(u64()).slice());
        break; // BYTEARRAY8
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x61: {
        const item = pop();
        append(top(), [item]);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        append(top(), items);
        break;
      } // APPENDS
      case 0x29:
        stack.push(tuple([]));
        break; // EMPTY_TUPLE
      case 0x74:
        stack.push(tuple(popMark()));
        break; // TUPLE
      case 0x85:
        stack.push(tuple([pop()]));
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push(tuple([a, b]));
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(tuple([a, b, c]));
        break;
      } // TUPLE3
      case 0x7d:
        stack.push(new Map());
        break; // EMPTY_DICT
      case 0x64: {
        const map = new Map();
        setItems(map, popMark());
        stack.push(map);
        break;
      } // DICT
      case 0x73: {
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      } // SETITEM
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      } // SETITEMS
      case 0x8f:
        stack.push(new Set());
        break; // EMPTY_SET
      case 0x90: {
        const items = popMark();
        const set = top();
        if (!(set instanceof Set)) fail('ADDITEMS on something that is not a set');
        for (const item of items) (set as Set<unknown>).add(item);
        break;
      } // ADDITEMS
      case 0x91:
        stack.push(new Set(popMark()));
        break; // FROZENSET
      case 0x70:
        memo.set(Number(line()), top());
        break; // PUT
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x67:
      case 0x68:
      case 0x6a: {
        // GET, BINGET, LONG_BINGET
        const key = op === 0x67 ? Number(line()) : op === 0x68 ? u8() : u32();
        if (!memo.has(key)) fail(`memo key ${key} was never stored`);
        stack.push(memo.get(key));
        break;
      }
      case 0x63: {
        const module = line();
        const name = line();
        stack.push(global(module, name));
        break;
      } // GLOBAL
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL without two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        if (!isPickleGlobal(callable) || !callable.call) fail(`REDUCE: ${describe(callable)} may not be called`);
        if (!isTuple(args)) fail(`REDUCE: arguments of ${describe(callable)} are not a tuple`);
        stack.push((callable as PickleGlobal).call!(args as readonly unknown[]));
        break;
      }
      case 0x81:
      case 0x92: {
        // NEWOBJ, NEWOBJ_EX
        const kwargs = op === 0x92 ? pop() : new Map();
        const args = pop();
        const cls = pop();
        if (!isPickleGlobal(cls) || !cls.newObject) fail(`NEWOBJ: ${describe(cls)} may not be instantiated`);
        if (!isTuple(args) || !(kwargs instanceof Map) || kwargs.size)
          fail(`NEWOBJ: unsupported arguments for ${describe(cls)}`);
        stack.push((cls as PickleGlobal).newObject!(args as readonly unknown[]));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const target = top() as Partial<PickleBuildable> | null;
        if (target instanceof Map) {
          if (!(state instanceof Map)) fail('BUILD on a dict with a state that is not a dict');
          dictAttributes.set(target, state);
          break;
        }
        if (target === null || typeof target !== 'object' || typeof target.setState !== 'function')
          fail(`BUILD on ${describe(target)}, which takes no state`);
        target!.setState!(state);
        break;
      }
      case 0x51:
        stack.push(persistent(pop()));
        break; // BINPERSID
      case 0x50:
        stack.push(persistent(line()));
        break; // PERSID
      default: {
        const names: Record<number, string> = {
          0x69: 'INST',
          0x6f: 'OBJ',
          0x82: 'EXT1',
          0x83: 'EXT2',
          0x84: 'EXT4',
          0x97: 'NEXT_BUFFER',
          0x98: 'READONLY_BUFFER',
          0x53: 'STRING',
          0x56: 'UNICODE',
        };
        fail(`unsupported opcode ${names[op] ?? `0x${op.toString(16).padStart(2, '0')}`}`);
      }
    }
  }
}
