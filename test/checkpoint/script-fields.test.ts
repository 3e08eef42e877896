import { describe, expect, it } from 'vitest';
import { getScriptClassFields, getScriptClassFile } from '../../src/checkpoint/script-fields.js';

// Class headers as torch.jit.save writes them in code/ (text only; never run).
const source = [
  'class Linear(Module):',
  '  __parameters__ = ["weight", "bias", ]',
  '  __buffers__ = []',
  '  weight : Tensor',
  '  def forward(self: __torch__.torch.nn.modules.linear.Linear,',
  '    input: Tensor) -> Tensor:',
  '    return torch.linear(input, self.weight, self.bias)',
  'class Norm(Module):',
  '  __parameters__ = []',
  '  __buffers__ = ["running_mean", ]',
  'class Broken(Module):',
  '  __parameters__ = [weight]',
  '  __buffers__ = []',
].join('\n');

describe('TorchScript class fields', () => {
  it('maps a qualified class name to its code/ file', () => {
    expect(getScriptClassFile('__torch__.torch.nn.modules.linear.___torch_mangle_4.Linear')).toEqual({
      file: '__torch__/torch/nn/modules/linear/___torch_mangle_4.py',
      className: 'Linear',
    });
    expect(getScriptClassFile('__torch__.M')).toEqual({ file: '__torch__.py', className: 'M' });
  });

  it('reads __parameters__ and __buffers__ of the named class only', () => {
    expect(getScriptClassFields(source, 'Linear')).toEqual({ parameters: ['weight', 'bias'], buffers: [] });
    expect(getScriptClassFields(source, 'Norm')).toEqual({ parameters: [], buffers: ['running_mean'] });
  });

  it('gives up (undefined) on an unknown class or a list it cannot parse', () => {
    expect(getScriptClassFields(source, 'Lin')).toBeUndefined();
    expect(getScriptClassFields(source, 'Broken')).toBeUndefined();
  });
});
