/**
 * A model folder's Hugging Face tokenizer.json (with tokenizer_config.json beside it when there
 * is one), loaded with @huggingface/tokenizers. A file that does not parse is `model_corrupt`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelError } from './errors.ts';
import type { LoadedModel } from './registry.ts';

export async function loadTokenizer(model: LoadedModel): Promise<Tokenizer> {
  const file = model.file('tokenizer');
  try {
    const json = JSON.parse(await readFile(file, 'utf8')) as object;
    const configText = await readFile(path.join(path.dirname(file), 'tokenizer_config.json'), 'utf8').catch(
      () => null,
    );
    const config = configText ? (JSON.parse(configText) as object) : {};
    return new Tokenizer(json, config);
  } catch (err) {
    throw new ModelError(
      'model_corrupt',
      model.dir,
      `tokenizer "${path.basename(file)}" cannot be loaded: ${(err as Error).message}`,
      { cause: err },
    );
  }
}
