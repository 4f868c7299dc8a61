/**
 * Writes tooling/goldens/layers/convkit-plain-cnn.safetensors: the plain CNN of the golden
 * fixtures, initialised by convkit (manualSeed 11) and trained 2 SGD steps by convkit (so the
 * batch-norm statistics and num_batches_tracked are not the defaults), saved by
 * saveSafetensors; and convkit-plain-cnn.json beside it with an input and convkit's eval
 * output for it. tooling/goldens/gen_layers.py then loads the file into the PyTorch model with
 * strict keys and checks PyTorch's output against convkit's.
 *
 *   pnpm --filter @convkit/layers save-checkpoint && /usr/bin/python3 tooling/goldens/generate.py layers
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng, tensor } from '@convkit/tensor';
import { crossEntropy, manualSeed, noGrad, SGD, saveSafetensors } from '../src/index';
import { plainCnn } from '../test/golden-models';

const out = join(dirname(fileURLToPath(import.meta.url)), '../../../tooling/goldens/layers');
manualSeed(11);
const model = plainCnn();
const rng = createRng(11);
const x = rng.normalTensor([4, 3, 12, 12]);
const labels = tensor([1, 7, 3, 9], [4]);
const sgd = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
for (let i = 0; i < 2; i++) {
  sgd.zeroGrad();
  crossEntropy(model.forward(x), labels).backward();
  sgd.step();
}
model.eval();
const y = noGrad(() => model.forward(x));
writeFileSync(
  join(out, 'convkit-plain-cnn.safetensors'),
  saveSafetensors(model.stateDict(), { metadata: { format: 'pt' } }),
);
const encode = (t: typeof x) => ({ shape: [...t.shape], data: [...t.toFloat32Array()] });
writeFileSync(
  join(out, 'convkit-plain-cnn.json'),
  `${JSON.stringify({ input: encode(x), output: encode(y.data) })}\n`,
);
console.log(`wrote ${join(out, 'convkit-plain-cnn.safetensors')} and its .json`);
