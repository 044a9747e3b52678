/**
 * The report document: everything a run measured, machine-readable, as
 * written to report.json and rendered by html.ts.
 */
import type { MetricResult } from '../metrics/aggregate.ts';
import type { Outcome } from '../metrics/metrics.ts';
import type { StageFigure } from '../metrics/stages.ts';
import type { Timeline } from '../metrics/timeline.ts';

export const REPORT_FORMAT = 1;

export interface RunInfo {
  url: string;
  /** How banter was started by the harness, or null for a server given by URL. */
  local: 'in process' | 'own process' | null;
  /** The VAD the server announced in session.ready. */
  vad: string | null;
  /** Worst lag of any caller's sending loop behind real time, ms. */
  maxLagMs: number;
  sessionsFailed: number;
  wallMs?: number;
  /** `git describe --always --dirty` of the checkout that ran the harness (and banter, when it started it). */
  commit?: string;
  /**
   * How late server events reached the caller: arrival (caller clock) minus
   * t_ms of vad.speech_start. Includes the VAD's confirmation time (about
   * 64-96 ms); much more means the server or the machine fell behind.
   */
  eventLagMs?: { median: number; p90: number; n: number };
  /** sha256 (first 16 hex) of the suite as parsed: two runs with the same hash played the same script. */
  suiteHash?: string;
  /** The server's own /health at the start of the run: its version and the models it serves. */
  server?: ServerStamp;
}

/** What /health said about the server under test (absent fields: an older or foreign server). */
export interface ServerStamp {
  version?: string;
  commit?: string;
  vad?: string;
  eot?: string;
  asr?: string | null;
  llm?: string | null;
  tts?: string | null;
  speaker?: string | null;
  /** Why /health could not be read, when it could not. */
  unavailable?: string;
}

export interface ReportConversation extends Timeline {
  outcomes: Outcome[];
}

export interface Report {
  format: typeof REPORT_FORMAT;
  generatedAt: string;
  command?: string;
  suite: { name: string; description: string; conversations: number };
  run: RunInfo | null;
  environment: {
    node: string;
    cpus: number;
    cpuModel: string;
    /** `linux x64`, and the machine's memory in GiB (absent in older reports). */
    os?: string;
    memGiB?: number;
    asr: string | null;
    asrReason?: string;
  };
  greetingText?: string;
  counts: {
    conversations: number;
    stimuli: Record<string, number>;
    /** Stimuli that landed while the system was speaking, per kind. */
    duringSystem: Record<string, number>;
    skipped: number;
    skippedReasons: Record<string, number>;
  };
  metrics: MetricResult[];
  /**
   * Stimuli that stood in for missing data (a synthetic voice for a LibriSpeech speaker, pink
   * noise for a recording), each reason with how many stimuli it covers; absent in older reports.
   */
  standIns?: Array<{ reason: string; count: number }>;
  /** Where the first speech delay of replies goes, stage by stage (eval/metrics/stages.ts); absent in older reports. */
  replyStages?: StageFigure[];
  conversations: ReportConversation[];
}
