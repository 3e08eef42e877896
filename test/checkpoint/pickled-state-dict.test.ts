import { describe, expect, it } from 'vitest';
import { flattenScriptModule, getPickledStateDict } from '../../src/checkpoint/pickled-state-dict.js';
import { makeStridedTensor } from '../../src/checkpoint/tensor-data.js';
import { RebuiltTensor, ScriptObject } from '../../src/checkpoint/torch-globals.js';

const tensor = (value: number) =>
  new RebuiltTensor(
    makeStridedTensor({
      dtype: 'float32',
      shape: [1],
      storageNumel: 1,
      loadStorage: () => new Uint8Array(new Float32Array([value]).buffer),
      where: 't',
    }),
  );
const dict = (entries: [unknown, unknown][]) => new Map(entries);

describe('getPickledStateDict', () => {
  it('takes a flat dict as it is, listing non-tensor entries', () => {
    const result = getPickledStateDict(
      dict([
        ['a', tensor(1)],
        ['n', 3],
        [7, tensor(2)],
      ]),
      'f.pt',
    );
    expect([...result.tensors.keys()]).toEqual(['a']);
    expect(result.ignored).toEqual(['n', '7']);
    expect(result.unwrapped).toBeUndefined();
  });

  it("unwraps 'state_dict' before 'model', and lists the siblings as ignored", () => {
    const inner = dict([['w', tensor(1)]]);
    const result = getPickledStateDict(
      dict([
        ['model', dict([['x', tensor(2)]])],
        ['state_dict', inner],
        ['epoch', 1],
      ]),
      'f.pt',
    );
    expect([...result.tensors.keys()]).toEqual(['w']);
    expect(result.unwrapped).toBe('state_dict');
    expect(result.ignored).toEqual(['model', 'epoch']);
    expect(
      getPickledStateDict(
        dict([
          [
            'model',
            dict([
              ['x', tensor(2)],
              ['meta', 'm'],
            ]),
          ],
        ]),
        'f.pt',
      ),
    ).toMatchObject({ unwrapped: 'model', ignored: ['model.meta'] });
  });

  it("strips 'module.' only when every key has it", () => {
    const all = getPickledStateDict(
      dict([
        ['module.a', tensor(1)],
        ['module.b.c', tensor(2)],
      ]),
      'f.pt',
    );
    expect([...all.tensors.keys()]).toEqual(['a', 'b.c']);
    expect(all.strippedPrefix).toBe('module.');
    const some = getPickledStateDict(
      dict([
        ['module.a', tensor(1)],
        ['b', tensor(2)],
      ]),
      'f.pt',
    );
    expect([...some.tensors.keys()]).toEqual(['module.a', 'b']);
    expect(some.strippedPrefix).toBeUndefined();
  });

  it('names what it found when there is no state dict', () => {
    expect(() => getPickledStateDict(tensor(1), 'f.pt')).toThrow(
      /^checkpoint: f\.pt holds a single tensor, not a state dict/,
    );
    expect(() =>
      getPickledStateDict(
        dict([
          ['epoch', 1],
          ['optimizer', dict([])],
        ]),
        'f.pt',
      ),
    ).toThrow(/top-level keys: epoch, optimizer/);
  });
});

describe('flattenScriptModule', () => {
  it('gives dotted keys to every tensor attribute of the module tree (no class declarations known)', () => {
    const root = new ScriptObject('__torch__.Clip');
    const visual = new ScriptObject('__torch__.Visual');
    const blocks = new ScriptObject('__torch__.torch.nn.modules.container.ModuleList');
    const block = new ScriptObject('__torch__.Block');
    block.setState(
      dict([
        ['weight', tensor(3)],
        ['training', false],
        ['bias_k', null],
      ]),
    );
    blocks.setState(
      dict([
        ['0', block],
        ['training', false],
      ]),
    );
    visual.setState(
      dict([
        ['proj', tensor(1)],
        ['resblocks', blocks],
      ]),
    );
    root.setState(
      dict([
        ['visual', visual],
        ['logit_scale', tensor(2)],
        ['_is_full_backward_hook', null],
      ]),
    );
    const result = flattenScriptModule(root, 's.pt');
    expect([...result.tensors.keys()]).toEqual(['visual.proj', 'visual.resblocks.0.weight', 'logit_scale']);
    expect(result.ignored).toEqual(['visual.resblocks.0.bias_k']);
  });

  it('orders keys like state_dict() (parameters, buffers, submodules) when declarations are known', () => {
    const root = new ScriptObject('__torch__.M');
    const sub = new ScriptObject('__torch__.S');
    sub.setState(dict([['b', tensor(1)]]));
    root.setState(
      dict([
        ['buf', tensor(1)],
        ['sub', sub],
        ['plain', tensor(0)],
        ['w', tensor(2)],
      ]),
    );
    const fields = (name: string) =>
      name === '__torch__.M' ? { parameters: ['w'], buffers: ['buf'] } : { parameters: ['b'], buffers: [] };
    const result = flattenScriptModule(root, 's.pt', fields);
    expect([...result.tensors.keys()]).toEqual(['w', 'buf', 'sub.b']);
    expect(result.ignored).toEqual(['plain']);
  });

  it('refuses a root that is not a module', () => {
    expect(() => flattenScriptModule(dict([]), 's.pt')).toThrow(/^torchscript: s\.pt does not hold a scripted module/);
  });
});
