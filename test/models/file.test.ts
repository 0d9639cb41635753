// The model file: a round trip rebuilds the same model; Python opens it; a corrupt file,
// a file of another format and a newer version are clear errors that name the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AekitError, manualSeed, rand, saveFile, tidy } from '../../src/engine/index.js';
import { buildModel, loadModel, saveModel } from '../../src/models/index.js';
import { runPython } from '../helpers/pytorch.js';

const dir = mkdtempSync(join(tmpdir(), 'aekit-model-file-'));
const contents = {
  preprocessing: [
    { kind: 'scale' as const, from: [0, 255] as [number, number], to: [0, 1] as [number, number] },
  ],
  data: {
    source: 'mnist',
    shape: [1, 28, 28],
    valueRange: [0, 1] as [number, number],
    labelNames: ['0', '1'],
  },
  summary: { epochsRun: 3, history: [{ loss: 1.5 }] },
  extras: { note: 'x' },
};

function assertBadFile(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof AekitError, String(error));
    assert.equal(error.code, 'BAD_FILE');
    assert.match(error.message, pattern);
    assert.equal(error.message.split('\n').length, 1);
    return true;
  });
}

test('a saved model loads back with the same config, records and outputs', () => {
  manualSeed(2);
  const model = buildModel({
    family: 'vae',
    body: 'conv',
    inputShape: [1, 28, 28],
    channels: [4, 8],
    latentDim: 3,
  });
  const path = join(dir, 'vae.aekit');
  saveModel(path, model, contents);
  const loaded = loadModel(path);
  assert.deepEqual(loaded.config, model.config);
  assert.deepEqual(loaded.preprocessing, contents.preprocessing);
  assert.deepEqual(loaded.data, contents.data);
  assert.deepEqual(loaded.summary, contents.summary);
  assert.deepEqual(loaded.extras, contents.extras);
  const difference = tidy(() => {
    const x = rand([4, 1, 28, 28]);
    return model.encode(x).sub(loaded.model.encode(x)).abs().max().item();
  });
  assert.equal(difference, 0);
});

test("Python's torch.load opens a model file: config and state dict with PyTorch's keys", () => {
  manualSeed(0);
  const model = buildModel({
    family: 'dense',
    inputShape: [6],
    hidden: [5],
    latentDim: 2,
    likelihood: 'gaussian',
  });
  const path = join(dir, 'dense.aekit');
  saveModel(path, model, contents);
  const script = [
    'import sys, torch',
    'saved = torch.load(sys.argv[1])',
    'net = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2))',
    "weights = saved['state_dict']",
    "enc = {k[len('encoder.'):]: v for k, v in weights.items() if k.startswith('encoder.')}",
    'net.load_state_dict(enc)',
    "config = saved['config']",
    "print(saved['format'], saved['version'], config['family'], config['hidden'])",
    'print(",".join(f"{v:.6f}" for v in net(torch.ones(1, 6))[0].tolist()))',
  ].join('\n');
  const scriptPath = join(dir, 'open_model.py');
  writeFileSync(scriptPath, script);
  const [header, codes] = runPython(scriptPath, [path]).trim().split('\n');
  assert.equal(header, 'aekit-model 1 dense [5]');
  const expected = tidy(() => model.encode(rand([1, 6]).mul(0).add(1)).toNumbers());
  codes.split(',').forEach((v, i) => assert.ok(Math.abs(Number(v) - expected[i]) < 1e-5));
});

test('corrupt, foreign, newer and mismatched files are refused, naming the file', () => {
  const good = join(dir, 'good.aekit');
  saveModel(good, buildModel({ family: 'dense', inputShape: [4], latentDim: 2 }), contents);

  const empty = join(dir, 'empty.aekit');
  writeFileSync(empty, '');
  assertBadFile(() => loadModel(empty), new RegExp(empty));

  const truncated = join(dir, 'truncated.aekit');
  const bytes = readFileSync(good);
  writeFileSync(truncated, bytes.subarray(0, bytes.length >> 1));
  assertBadFile(() => loadModel(truncated), new RegExp(truncated));

  const png = join(dir, 'picture.png');
  writeFileSync(png, Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
  assertBadFile(() => loadModel(png), new RegExp(png));

  const plain = join(dir, 'tensors.pt');
  saveFile(plain, { weight: rand([2]) });
  assertBadFile(() => loadModel(plain), /not an aekit model file|format: expected 'aekit-model'/);

  const newer = join(dir, 'newer.aekit');
  saveFile(newer, { format: 'aekit-model', version: 99, config_json: '{}' });
  assertBadFile(
    () => loadModel(newer),
    /format version 99, newer than this aekit reads \(1\); upgrade/,
  );

  const badConfig = join(dir, 'bad-config.aekit');
  saveFile(badConfig, {
    format: 'aekit-model',
    version: 1,
    config_json: JSON.stringify({ family: 'dense', inputShape: [4], latentDim: -1 }),
  });
  assertBadFile(() => loadModel(badConfig), /config: config\.latentDim: expected an integer >= 1/);

  const wrongWeights = join(dir, 'wrong-weights.aekit');
  saveModel(wrongWeights, buildModel({ family: 'dense', inputShape: [4], latentDim: 2 }), contents);
  const other = buildModel({ family: 'dense', inputShape: [4], latentDim: 3 });
  saveFile(wrongWeights, {
    format: 'aekit-model',
    version: 1,
    config_json: JSON.stringify({ family: 'dense', inputShape: [4], latentDim: 2 }),
    state_dict: other.stateDict(),
  });
  assertBadFile(() => loadModel(wrongWeights), /state_dict: .*shape/);
});
