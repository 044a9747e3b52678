/**
 * Text shaping for end-of-turn models: ASR-style normalization and the token
 * layouts of the three supported contracts. Pure functions, no ONNX here.
 */

/** A previous turn of the conversation; `assistant` is banter itself. */
export interface EotTurn {
  role: 'user' | 'assistant';
  text: string;
}

const APOSTROPHES: Record<string, string> = { '\u2019': "'", '\u2018': "'", '\u02bc': "'", '`': "'" };
const LETTER_OR_DIGIT = /^[\p{L}\p{N}]$/u;

/**
 * Make written text look like ASR output: NFKC, lowercase, no punctuation, apostrophes kept only
 * inside words. Exact twin of normalize_asr in models/training/lib/textnorm.py (the model was
 * trained on its output); models/eot/tokenizer-parity.json pins the two together.
 */
export function normalizeAsr(text: string): string {
  const lowered = text.normalize('NFKC').toLowerCase();
  let kept = '';
  for (const raw of lowered) {
    const ch = APOSTROPHES[raw] ?? raw;
    kept += ch === "'" || LETTER_OR_DIGIT.test(ch) ? ch : ' ';
  }
  const words: string[] = [];
  for (const w of kept.split(' ')) {
    const core = w.replace(/^'+|'+$/g, '');
    if (core) words.push(core);
  }
  return words.join(' ');
}

export interface BanterSpecialIds {
  sep: number;
  user: number;
  agent: number;
}

/**
 * banter-eot/1 layout: `[USER|AGENT] turn ... [SEP] utterance`, keeping the last `maxTokens` ids so
 * the end of the current utterance always survives (mirrors layout_ids in models/training/eot/train.py).
 */
export function banterLayout(
  encode: (normalized: string) => number[],
  ids: BanterSpecialIds,
  context: readonly EotTurn[],
  transcript: string,
  maxTokens: number,
): number[] {
  const out: number[] = [];
  for (const turn of context) {
    const text = normalizeAsr(turn.text);
    if (!text) continue;
    out.push(turn.role === 'assistant' ? ids.agent : ids.user);
    out.push(...encode(text));
  }
  out.push(ids.sep);
  out.push(...encode(normalizeAsr(transcript)));
  return out.length > maxTokens ? out.slice(out.length - maxTokens) : out;
}

/** LiveKit turn-detector text normalization: NFKC + lowercase, punctuation dropped except ' and -. */
export function livekitNormalize(text: string): string {
  if (!text) return '';
  const t = text.toLowerCase().normalize('NFKC');
  let kept = '';
  for (const ch of t) kept += /^\p{P}$/u.test(ch) && ch !== "'" && ch !== '-' ? '' : ch;
  return kept.replace(/\s+/g, ' ').trim();
}

export interface ChatTemplate {
  /** Text before the first message (a system prompt, if the model's template adds one). */
  prefix: string;
  /** One message; `{role}` and `{content}` are replaced. */
  message: string;
  /** Everything from the last occurrence of this marker on is cut: the model predicts it. */
  endMarker: string;
}

export const CHATML_TEMPLATE: ChatTemplate = {
  prefix: '',
  message: '<|im_start|>{role}\n{content}<|im_end|>\n',
  endMarker: '<|im_end|>',
};

/**
 * livekit-eou/1 text: the last `maxTurns` messages, normalized, adjacent same-role messages merged,
 * rendered with the chat template, cut before the last end-of-message marker (LiveKit's
 * `_format_chat_ctx`). The model's output at the last token is P(end of utterance).
 */
export function livekitText(
  context: readonly EotTurn[],
  transcript: string,
  template: ChatTemplate,
  maxTurns: number,
): string {
  const messages = [...context, { role: 'user' as const, text: transcript }].slice(-maxTurns);
  const merged: { role: string; content: string }[] = [];
  for (const m of messages) {
    if (!m.text) continue;
    const content = livekitNormalize(m.text);
    const last = merged[merged.length - 1];
    if (last && last.role === m.role) last.content += ` ${content}`;
    else merged.push({ role: m.role, content });
  }
  let text = template.prefix;
  for (const m of merged)
    text += template.message.replaceAll('{role}', m.role).replaceAll('{content}', m.content);
  const cut = text.lastIndexOf(template.endMarker);
  return cut >= 0 ? text.slice(0, cut) : text;
}

/**
 * fireredchat-eot/1 text: the current user text with Chinese and ASCII sentence punctuation and
 * spaces removed (FireRedChat's livekit plugin: re.sub("[，。？！,. ?!]", "", text)).
 */
export function fireredText(transcript: string): string {
  return transcript.replace(/[，。？！,. ?!]/g, '');
}
