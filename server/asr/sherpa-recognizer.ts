/**
 * The sherpa-onnx backend: a streaming model folder as downloaded from sherpa-onnx's releases
 * (a transducer, a streaming paraformer or a streaming zipformer2 CTC), run by sherpa-onnx-node's
 * OnlineRecognizer, behind banter's Recognizer seam.
 *
 * sherpa-onnx does not fail politely on a bad model: a file its onnxruntime cannot parse throws a
 * C++ exception out of its C API (the process aborts), and a missing metadata key or an
 * unexpected blank symbol ends in `_Exit(-1)`. Nothing can catch either from JavaScript, so this
 * loader checks, before sherpa sees the folder, everything sherpa would die on at start-up: each
 * file opens in onnxruntime-node, the metadata keys its model class reads are there and well
 * formed, tokens.txt covers every id the model can emit, and a CTC vocabulary has a blank. A
 * folder that passes is then handed to sherpa, whose remaining (catchable) errors are coded too.
 *
 * Each utterance gets a fresh sherpa stream: sherpa's reset() keeps the stream's buffered audio
 * (the tail padding of the last final would open the next utterance) and, for CTC models, the
 * encoder caches; inputFinished() cannot be undone. A stream is cheap (its initial caches).
 */
import { open, readFile, readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PIPELINE_SAMPLE_RATE } from '../audio/rates.ts';
import { ModelError } from '../models/errors.ts';
import { defaultSessionOptions, openSession } from '../models/graph.ts';
import type {
  Recognizer,
  RecognizedWord,
  RecognizerStream,
  Transcript,
  TranscriptListener,
} from './recognizer.ts';
import type { SherpaOptions } from './recognizers.ts';

/** What the folder must look like; every layout error repeats it. */
export const SHERPA_LAYOUTS =
  'a sherpa-onnx streaming model folder: tokens.txt plus either encoder*.onnx, decoder*.onnx and ' +
  'joiner*.onnx (transducer), encoder*.onnx and decoder*.onnx (streaming paraformer), or a single ' +
  'other *.onnx (streaming zipformer2 CTC)';

/** config.asr.sherpa; `precision` may be left out by in-process callers (default 'float'). */
export type SherpaLoadOptions = Omit<SherpaOptions, 'precision'> & Partial<Pick<SherpaOptions, 'precision'>>;

export type SherpaLayout =
  | { kind: 'transducer'; encoder: string; decoder: string; joiner: string }
  | { kind: 'paraformer'; encoder: string; decoder: string }
  | { kind: 'zipformer2-ctc'; model: string };

// ---------------------------------------------------------------------------------------------
// sherpa-onnx-node, the part of its API used here (the package ships no type declarations).

interface SherpaResult {
  text: string;
  tokens: string[];
  /** Seconds from the stream's first sample, one per token (may be empty for some models). */
  timestamps: number[];
}

interface SherpaStream {
  acceptWaveform(wave: { samples: Float32Array; sampleRate: number }): void;
  inputFinished(): void;
}

interface SherpaRecognizer {
  createStream(): SherpaStream;
  isReady(stream: SherpaStream): boolean;
  decode(stream: SherpaStream): void;
  getResult(stream: SherpaStream): SherpaResult;
}

interface SherpaModule {
  OnlineRecognizer: new (config: object) => SherpaRecognizer;
}

const require = createRequire(import.meta.url);
const INSTALL_HINT = 'run `npm install sherpa-onnx-node` (an optional dependency of banter)';

/**
 * Loads sherpa-onnx-node (an optional native dependency). Missing, or present without its native
 * part for this platform, is `model_missing` with the command that fixes it.
 */
export function requireSherpa(specifier = 'sherpa-onnx-node', dir = specifier): SherpaModule {
  try {
    const mod = require(specifier) as Partial<SherpaModule>;
    if (typeof mod.OnlineRecognizer !== 'function') throw new Error('it has no OnlineRecognizer');
    return mod as SherpaModule;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const detail =
      code === 'MODULE_NOT_FOUND'
        ? `the sherpa-onnx backend needs the sherpa-onnx-node package, which is not installed: ${INSTALL_HINT}`
        : `sherpa-onnx-node is installed but cannot be loaded (${oneLine(err)}); ${INSTALL_HINT} again on this platform`;
    throw new ModelError('model_missing', dir, detail, { cause: err });
  }
}

// ---------------------------------------------------------------------------------------------
// The folder: which layout, which files.

type Precision = 'float' | 'int8' | 'fp16';

const precisionOf = (file: string): Precision =>
  /[._-]int8[._-]/i.test(file) ? 'int8' : /[._-]fp16[._-]/i.test(file) ? 'fp16' : 'float';

/**
 * Picks the layout from the folder's file names alone (pure). Files are matched by prefix, as
 * sherpa's releases name them (encoder-epoch-99-avg-1.onnx, decoder.int8.onnx, ...); anything
 * that is not *.onnx (bpe.model, README.md, test_wavs/) is ignored.
 */
export function detectLayout(
  dir: string,
  fileNames: readonly string[],
  precision: 'float' | 'int8' = 'float',
): SherpaLayout {
  const onnx = fileNames.filter((f) => !f.startsWith('.') && f.toLowerCase().endsWith('.onnx'));
  const byRole = (role: string) => onnx.filter((f) => f.toLowerCase().startsWith(role));
  const order: Precision[] = precision === 'int8' ? ['int8', 'float', 'fp16'] : ['float', 'int8', 'fp16'];
  const pick = (candidates: string[], role: string): string => {
    for (const p of order) {
      const these = candidates.filter((f) => precisionOf(f) === p);
      if (these.length === 1) return these[0];
      if (these.length > 1) {
        throw new ModelError(
          'model_mismatch',
          dir,
          `more than one ${p} ${role} file (${these.join(', ')}): keep one per role; expected ${SHERPA_LAYOUTS}`,
        );
      }
    }
    throw new Error('unreachable: pick() on no candidates');
  };

  const [encoders, decoders, joiners] = ['encoder', 'decoder', 'joiner'].map(byRole);
  const missing = (what: string, found: string) =>
    new ModelError('model_missing', dir, `found ${found} but no ${what}; expected ${SHERPA_LAYOUTS}`);
  if (joiners.length > 0) {
    if (encoders.length === 0) throw missing('encoder*.onnx', joiners.join(', '));
    if (decoders.length === 0) throw missing('decoder*.onnx', joiners.join(', '));
    return {
      kind: 'transducer',
      encoder: pick(encoders, 'encoder'),
      decoder: pick(decoders, 'decoder'),
      joiner: pick(joiners, 'joiner'),
    };
  }
  if (encoders.length > 0 && decoders.length > 0) {
    return { kind: 'paraformer', encoder: pick(encoders, 'encoder'), decoder: pick(decoders, 'decoder') };
  }
  if (encoders.length > 0)
    throw missing('decoder*.onnx (and joiner*.onnx for a transducer)', encoders.join(', '));
  if (decoders.length > 0) throw missing('encoder*.onnx', decoders.join(', '));
  const others = onnx.filter((f) => !encoders.includes(f) && !decoders.includes(f) && !joiners.includes(f));
  if (others.length === 0)
    throw new ModelError('model_missing', dir, `no .onnx files; expected ${SHERPA_LAYOUTS}`);
  return { kind: 'zipformer2-ctc', model: pick(others, 'model') };
}

/** The layout's model files, encoder first. */
export function layoutFiles(layout: SherpaLayout): string[] {
  return Object.entries(layout)
    .filter(([k]) => k !== 'kind')
    .map(([, f]) => f as string);
}

// ---------------------------------------------------------------------------------------------
// ONNX custom metadata, read off the protobuf without loading the graph (onnxruntime-node does
// not expose it). ModelProto: graph is field 7, metadata_props field 14 (key 1, value 2).
// Not onnx-proto/protobufjs: they decode the whole ModelProto, weights included (hundreds of MB
// for a real encoder), to reach a few strings; this walks the top-level fields and skips the rest.

/** The model's custom metadata (`metadata_props`); throws on a file that is not a ModelProto. */
export async function readOnnxMetadata(file: string): Promise<Map<string, string>> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(20);
    const meta = new Map<string, string>();
    let pos = 0;
    let graph = false;
    while (pos < size) {
      const { bytesRead } = await fh.read(head, 0, head.length, pos);
      const view = head.subarray(0, bytesRead);
      const [tag, tagLen] = varint(view, 0);
      const field = Math.floor(tag / 8);
      const wire = tag % 8;
      if (field === 0) throw new Error(`field number 0 at byte ${pos}`);
      let at = tagLen;
      if (wire === 0) at += varint(view, at)[1];
      else if (wire === 1) at += 8;
      else if (wire === 5) at += 4;
      else if (wire === 2) {
        const [len, lenLen] = varint(view, at);
        at += lenLen;
        if (pos + at + len > size)
          throw new Error(`field ${field} runs past the end of the file (truncated?)`);
        if (field === 7) graph = true;
        if (field === 14) {
          const entry = Buffer.alloc(len);
          await fh.read(entry, 0, len, pos + at);
          const [key, value] = stringPair(entry);
          meta.set(key, value);
        }
        at += len;
      } else throw new Error(`wire type ${wire} at byte ${pos}`);
      pos += at;
    }
    if (pos !== size) throw new Error('the last field runs past the end of the file (truncated?)');
    if (!graph) throw new Error('no graph in the file');
    return meta;
  } finally {
    await fh.close();
  }
}

function varint(buf: Uint8Array, at: number): [value: number, bytes: number] {
  let value = 0;
  for (let i = 0; i < 10 && at + i < buf.length; i++) {
    const b = buf[at + i];
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return [value, i + 1];
  }
  throw new Error('bad varint (truncated?)');
}

/** A StringStringEntryProto: key (1) and value (2), both length-delimited. */
function stringPair(buf: Buffer): [string, string] {
  const out = ['', ''];
  let at = 0;
  while (at < buf.length) {
    const [tag, n] = varint(buf, at);
    at += n;
    if (tag % 8 !== 2) throw new Error('bad metadata entry');
    const [len, m] = varint(buf, at);
    at += m;
    if (at + len > buf.length) throw new Error('bad metadata entry');
    const field = Math.floor(tag / 8);
    if (field === 1 || field === 2) out[field - 1] = buf.toString('utf8', at, at + len);
    at += len;
  }
  return [out[0], out[1]];
}

// ---------------------------------------------------------------------------------------------
// The contract sherpa-onnx's model classes read (sherpa-onnx/csrc/online-*-model.cc): keys whose
// absence or bad format is `_Exit(-1)` there, so a `model_mismatch` here.

type KeyKind = 'int' | 'ints' | 'floats';
const INT = /^\s*\d+\s*$/;
const INTS = /^\s*\d+\s*(,\s*\d+\s*)*,?\s*$/;
const FLOATS = /^\s*[-+]?[\d.]+(e[-+]?\d+)?\s*(,\s*[-+]?[\d.]+(e[-+]?\d+)?\s*)*,?\s*$/i;

/** `names`: space-separated metadata keys, all of one kind. */
const keys = (kind: KeyKind, names: string): Record<string, KeyKind> =>
  Object.fromEntries(names.split(' ').map((n) => [n, kind]));

const ZIPFORMER2_KEYS = {
  ...keys(
    'ints',
    'encoder_dims query_head_dims value_head_dims num_heads num_encoder_layers cnn_module_kernels left_context_len',
  ),
  ...keys('int', 'T decode_chunk_len'),
};

/** Transducer encoders by `model_type` (online-transducer-model.cc picks the class by it). */
const TRANSDUCER_ENCODER_KEYS: Record<string, Record<string, KeyKind>> = {
  zipformer2: ZIPFORMER2_KEYS,
  zipformer: {
    ...keys('ints', 'encoder_dims attention_dims num_encoder_layers cnn_module_kernels left_context_len'),
    ...keys('int', 'T decode_chunk_len'),
  },
  conformer: keys(
    'int',
    'num_encoder_layers T decode_chunk_len left_context encoder_dim pad_length cnn_module_kernel',
  ),
  lstm: keys('int', 'num_encoder_layers T decode_chunk_len rnn_hidden_size d_model'),
  ebranchformer: keys(
    'int',
    'decode_chunk_len T num_hidden_layers hidden_size intermediate_size csgu_kernel_size merge_conv_kernel ' +
      'left_context_len num_heads head_dim',
  ),
};
const TRANSDUCER_DECODER_KEYS = keys('int', 'vocab_size context_size');
const PARAFORMER_ENCODER_KEYS = {
  ...keys(
    'int',
    'vocab_size lfr_window_size lfr_window_shift encoder_output_size decoder_num_blocks decoder_kernel_size',
  ),
  ...keys('floats', 'neg_mean inv_stddev'),
};

/** What the pre-flight check learned that the stream needs. */
interface Checked {
  layout: SherpaLayout;
  /** Feature frames per model call (metadata T), where the model has one. */
  chunkFrames: number | null;
}

function requireKeys(
  dir: string,
  file: string,
  meta: Map<string, string>,
  want: Record<string, KeyKind>,
  what: string,
) {
  const pattern = { int: INT, ints: INTS, floats: FLOATS };
  const absent = Object.keys(want).filter((k) => !meta.get(k)?.trim());
  if (absent.length > 0) {
    throw new ModelError(
      'model_mismatch',
      dir,
      `"${file}" lacks the metadata ${absent.join(', ')} that sherpa-onnx reads from a ${what}` +
        ' (was it exported by icefall/sherpa-onnx export scripts?)',
    );
  }
  for (const [k, kind] of Object.entries(want)) {
    if (!pattern[kind].test(meta.get(k)!))
      throw new ModelError('model_mismatch', dir, `"${file}" metadata ${k}="${meta.get(k)}" is not ${kind}`);
  }
}

/** tokens.txt as sherpa's SymbolTable reads it: "symbol id" per line; returns the ids present. */
export function parseTokens(text: string): Map<number, string> {
  const ids = new Map<number, string>();
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 2 || !/^\d+$/.test(parts[1])) continue;
    ids.set(Number(parts[1]), parts[0]);
  }
  return ids;
}

async function checkFolder(abs: string, precision: 'float' | 'int8'): Promise<Checked> {
  const isDir = await stat(abs).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new ModelError('model_missing', abs, `folder does not exist; expected ${SHERPA_LAYOUTS}`);
  const names = await readdir(abs);
  if (!names.includes('tokens.txt'))
    throw new ModelError('model_missing', abs, `tokens.txt not found; expected ${SHERPA_LAYOUTS}`);
  const tokens = parseTokens(await readFile(path.join(abs, 'tokens.txt'), 'utf8'));
  if (tokens.size === 0) throw new ModelError('model_corrupt', abs, 'tokens.txt has no "symbol id" lines');
  const layout = detectLayout(abs, names, precision);

  const metas = new Map<string, Map<string, string>>();
  const outputs = new Map<string, { inputs: number; outputs: number; vocab: number | null }>();
  for (const file of layoutFiles(layout)) {
    // onnxruntime-node parses (and optimizes) the graph as sherpa's onnxruntime will: a file that
    // fails here would abort the process there.
    const session = await openSession(path.join(abs, file), file, abs, defaultSessionOptions);
    const out0 = session.outputMetadata?.[0] as { shape?: ReadonlyArray<number | string> } | undefined;
    const dim2 = out0?.shape?.[2];
    outputs.set(file, {
      inputs: session.inputNames.length,
      outputs: session.outputNames.length,
      vocab: typeof dim2 === 'number' && dim2 > 0 ? dim2 : null,
    });
    await session.release();
    try {
      metas.set(file, await readOnnxMetadata(path.join(abs, file)));
    } catch (err) {
      throw new ModelError(
        'model_corrupt',
        abs,
        `"${file}" is not a readable ONNX model: ${firstLine(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  const coverVocab = (vocab: number, from: string) => {
    const gaps = Array.from({ length: vocab }, (_, i) => i).filter((i) => !tokens.has(i));
    if (gaps.length > 0) {
      throw new ModelError(
        'model_mismatch',
        abs,
        `${from} says the vocabulary has ${vocab} symbols but tokens.txt lacks id(s) ${gaps.slice(0, 5).join(', ')}` +
          (gaps.length > 5 ? ', ...' : '') +
          ' (tokens.txt from another model?)',
      );
    }
  };
  const int = (meta: Map<string, string>, k: string) => Number(meta.get(k));

  switch (layout.kind) {
    case 'transducer': {
      const enc = metas.get(layout.encoder)!;
      const type = enc.get('model_type') ?? '';
      const want = TRANSDUCER_ENCODER_KEYS[type];
      if (!want) {
        throw new ModelError(
          'model_mismatch',
          abs,
          `"${layout.encoder}" has model_type "${type}"; a sherpa-onnx streaming transducer encoder is one of ` +
            Object.keys(TRANSDUCER_ENCODER_KEYS).join(', '),
        );
      }
      requireKeys(abs, layout.encoder, enc, want, `streaming ${type} transducer encoder`);
      const dec = metas.get(layout.decoder)!;
      requireKeys(abs, layout.decoder, dec, TRANSDUCER_DECODER_KEYS, 'transducer decoder');
      coverVocab(int(dec, 'vocab_size'), `"${layout.decoder}" metadata vocab_size`);
      return { layout, chunkFrames: int(enc, 'T') };
    }
    case 'paraformer': {
      const enc = metas.get(layout.encoder)!;
      const type = enc.get('model_type') ?? '';
      if (TRANSDUCER_ENCODER_KEYS[type]) {
        throw new ModelError(
          'model_missing',
          abs,
          `"${layout.encoder}" is a ${type} transducer encoder but there is no joiner*.onnx; expected ${SHERPA_LAYOUTS}`,
        );
      }
      requireKeys(abs, layout.encoder, enc, PARAFORMER_ENCODER_KEYS, 'streaming paraformer encoder');
      coverVocab(int(enc, 'vocab_size'), `"${layout.encoder}" metadata vocab_size`);
      return { layout, chunkFrames: null };
    }
    case 'zipformer2-ctc': {
      const meta = metas.get(layout.model)!;
      const type = meta.get('model_type');
      if (type !== undefined && type !== 'zipformer2') {
        throw new ModelError(
          'model_mismatch',
          abs,
          `"${layout.model}" has model_type "${type}"; a single-file folder must be a streaming zipformer2 CTC model`,
        );
      }
      requireKeys(abs, layout.model, meta, ZIPFORMER2_KEYS, 'streaming zipformer2 CTC model');
      // x, then 6 caches per encoder layer, embed_states and processed_lens; log_probs, then the
      // same states again. Fed and read by position, so a different count breaks mid-call.
      const layers = meta
        .get('num_encoder_layers')!
        .split(',')
        .filter((s) => s.trim())
        .reduce((a, s) => a + Number(s), 0);
      const io = outputs.get(layout.model)!;
      const states = 6 * layers + 2;
      if (io.inputs !== states + 1 || io.outputs !== states + 1) {
        throw new ModelError(
          'model_mismatch',
          abs,
          `"${layout.model}" has ${io.inputs} inputs and ${io.outputs} outputs; a zipformer2 CTC model with ` +
            `${layers} encoder layers has ${states + 1} of each (features or log_probs, then ${states} states)`,
        );
      }
      if (!['<blk>', '<eps>', '<blank>'].some((b) => [...tokens.values()].includes(b)))
        throw new ModelError('model_mismatch', abs, 'tokens.txt has no CTC blank (<blk>, <eps> or <blank>)');
      if (io.vocab !== null) coverVocab(io.vocab, `"${layout.model}" log_probs`);
      return { layout, chunkFrames: int(meta, 'T') };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Tokens to words (pure).

const CJK = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+$/u;
const BYTE_FALLBACK = /^<0x[0-9A-F]{2}>$/;
/** sherpa's output frame: 10 ms feature hop x 4 (its CTC and transducer timestamps use the same). */
const TOKEN_MS = 40;

/**
 * Words from sherpa's tokens and their start times (seconds from the utterance's first sample).
 * A BPE token that starts with '▁' (sherpa turns it into a space) starts a word, and a bare one
 * only ends the word before it; other tokens continue the current word, which joins the
 * characters of a character-based English vocabulary. A CJK character is a word of its own.
 * A word ends one output frame after its last token starts, never after the audio heard.
 */
export function wordsFromTokens(
  tokens: readonly string[],
  timestamps: readonly number[],
  originMs: number,
  audioEndMs: number,
): RecognizedWord[] {
  const timed = timestamps.length === tokens.length;
  const at = (i: number) => Math.min(audioEndMs, originMs + (timed ? timestamps[i] * 1000 : 0));
  const words: { text: string; first: number; last: number; cjk: boolean }[] = [];
  let open = false;
  tokens.forEach((raw, i) => {
    if (BYTE_FALLBACK.test(raw)) return;
    const marked = raw.startsWith('▁') || raw.startsWith(' ');
    const text = marked ? raw.replace(/^[▁ ]+/, '') : raw;
    if (marked) open = false;
    if (!text) return;
    const cjk = CJK.test(text);
    const current = words.at(-1);
    if (open && current && !cjk && !current.cjk) {
      current.text += text;
      current.last = i;
    } else {
      words.push({ text, first: i, last: i, cjk });
      open = !cjk;
    }
  });
  return words.map((w) => {
    const startMs = at(w.first);
    const endMs = timed ? Math.min(audioEndMs, at(w.last) + TOKEN_MS) : audioEndMs;
    return { text: w.text, startMs, endMs: Math.max(startMs, endMs) };
  });
}

/** Words into text: spaces between words, none between two CJK words. */
export function joinWords(words: readonly { text: string }[]): string {
  let out = '';
  words.forEach((w, i) => {
    const prev = words[i - 1]?.text;
    const tight = prev !== undefined && CJK.test(prev.at(-1)!) && CJK.test(w.text[0]);
    out += i === 0 || tight ? w.text : ` ${w.text}`;
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The recognizer.

/**
 * Zeros fed after the caller's audio at an endpoint, so the model's last chunk (T frames: the
 * chunk plus its lookahead) covers the last real frame and sherpa decodes it. T comes from the
 * model's metadata; a paraformer has none, so 0.66 s, the tail sherpa-onnx's own streaming
 * examples pad with.
 */
const tailPaddingSamples = (chunkFrames: number | null) =>
  chunkFrames === null
    ? Math.round(0.66 * PIPELINE_SAMPLE_RATE)
    : (chunkFrames + 4) * (PIPELINE_SAMPLE_RATE / 100);

export async function loadSherpaRecognizer(dir: string, options: SherpaLoadOptions): Promise<Recognizer> {
  const abs = path.resolve(dir);
  const { layout, chunkFrames } = await checkFolder(abs, options.precision ?? 'float');
  const sherpa = requireSherpa('sherpa-onnx-node', abs);
  const file = (f: string) => path.join(abs, f);
  const modelConfig =
    layout.kind === 'transducer'
      ? {
          transducer: {
            encoder: file(layout.encoder),
            decoder: file(layout.decoder),
            joiner: file(layout.joiner),
          },
        }
      : layout.kind === 'paraformer'
        ? { paraformer: { encoder: file(layout.encoder), decoder: file(layout.decoder) } }
        : { zipformer2Ctc: { model: file(layout.model) } };
  let native: SherpaRecognizer;
  try {
    native = new sherpa.OnlineRecognizer({
      featConfig: { sampleRate: PIPELINE_SAMPLE_RATE, featureDim: 80 },
      modelConfig: {
        ...modelConfig,
        tokens: file('tokens.txt'),
        numThreads: options.numThreads,
        provider: 'cpu',
        debug: 0,
      },
      // Only transducers search; sherpa exits the process on modified_beam_search for a CTC model.
      decodingMethod: layout.kind === 'transducer' ? options.decodingMethod : 'greedy_search',
      maxActivePaths: 4,
      // banter's VAD says where an utterance ends (endpoint()); sherpa's own rules stay off.
      enableEndpoint: 0,
    });
  } catch (err) {
    throw new ModelError(
      'model_corrupt',
      abs,
      `sherpa-onnx cannot create a ${layout.kind} recognizer from ${layoutFiles(layout).join(', ')}: ${firstLine(err)}`,
      { cause: err },
    );
  }

  let closed = false;
  const padding = tailPaddingSamples(chunkFrames);
  return {
    label: `sherpa-onnx:${path.basename(abs)}`,
    createStream(onTranscript: TranscriptListener): RecognizerStream {
      if (closed) throw new Error('sherpa-onnx recognizer is closed');
      return new SherpaOnlineStream(native, padding, onTranscript, () => closed);
    },
    close() {
      // sherpa-onnx-node has no explicit destroy: it frees native recognizers and streams in GC
      // finalizers once nothing references them. Closing stops every stream of this recognizer.
      closed = true;
    },
  };
}

class SherpaOnlineStream implements RecognizerStream {
  /** The current utterance's sherpa stream; null between utterances. */
  private stream: SherpaStream | null = null;
  /** Session-clock time of the utterance's first sample. */
  private originMs = 0;
  private samples = 0;
  /** End of the audio heard so far, for a final with nothing in it. */
  private clockMs = 0;
  private lastPartial = '';
  private closed = false;

  constructor(
    private readonly native: SherpaRecognizer,
    private readonly paddingSamples: number,
    private readonly onTranscript: TranscriptListener,
    private readonly recognizerClosed: () => boolean,
  ) {}

  async push(samples: Float32Array, atMs: number): Promise<void> {
    if (this.done()) return;
    if (!this.stream) {
      this.stream = this.native.createStream();
      this.originMs = atMs;
      this.samples = 0;
    }
    this.stream.acceptWaveform({ samples, sampleRate: PIPELINE_SAMPLE_RATE });
    this.samples += samples.length;
    this.clockMs = this.audioEndMs();
    if (!this.drain()) return;
    const words = this.words();
    const stable = joinWords(words.slice(0, -1));
    const unstable = words.at(-1)?.text ?? '';
    const key = `${stable}|${unstable}`;
    if (key === this.lastPartial || words.length === 0) return;
    this.lastPartial = key;
    // sherpa does not say which words are final: all but the last are taken as settled.
    this.onTranscript({
      kind: 'partial',
      stable,
      unstable,
      words,
      startMs: words[0].startMs,
      endMs: this.clockMs,
    });
  }

  async endpoint(): Promise<void> {
    if (this.done()) return;
    let words: RecognizedWord[] = [];
    let startMs = this.clockMs;
    if (this.stream) {
      this.stream.acceptWaveform({
        samples: new Float32Array(this.paddingSamples),
        sampleRate: PIPELINE_SAMPLE_RATE,
      });
      this.stream.inputFinished();
      this.drain();
      words = this.words();
      startMs = words[0]?.startMs ?? this.originMs;
    }
    const final: Transcript = {
      kind: 'final',
      stable: joinWords(words),
      unstable: '',
      words,
      startMs,
      endMs: this.clockMs,
    };
    this.reset();
    this.onTranscript(final);
  }

  reset(): void {
    this.stream = null;
    this.lastPartial = '';
  }

  close(): void {
    this.closed = true;
    this.reset();
  }

  private done(): boolean {
    return this.closed || this.recognizerClosed();
  }

  private audioEndMs(): number {
    return this.originMs + (this.samples * 1000) / PIPELINE_SAMPLE_RATE;
  }

  /** Decodes every chunk sherpa has enough audio for; true when it decoded any. */
  private drain(): boolean {
    let any = false;
    while (this.native.isReady(this.stream!)) {
      this.native.decode(this.stream!);
      any = true;
    }
    return any;
  }

  private words(): RecognizedWord[] {
    const r = this.native.getResult(this.stream!);
    return wordsFromTokens(r.tokens ?? [], r.timestamps ?? [], this.originMs, this.audioEndMs());
  }
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0];
}

/** A multi-line native error (sherpa's addon lists every path it tried) on one line. */
function oneLine(err: unknown): string {
  return String((err as Error)?.message ?? err)
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 400);
}
