/** The page: Start/Stop, a status panel and the event log around one VoiceClient. */
import { VoiceClient, type LogLine } from './voice-client.ts';

/** Oldest log lines are dropped past this many. */
const MAX_LOG_LINES = 500;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const defaultUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/stream`;
const forcedRate = Number(params.get('rate'));

const client = new VoiceClient(
  {
    url: params.get('ws') ?? defaultUrl,
    contextRate: forcedRate > 0 ? forcedRate : undefined,
    greeting: params.get('greeting') !== '0',
    // A session token minted by your backend, where the server requires one (docs/protocol.md).
    token: params.get('token') ?? undefined,
  },
  appendLog,
  scheduleRender,
);
// Debug hook for the browser test and the devtools console.
(window as unknown as { banter: typeof client.debug }).banter = client.debug;

const startButton = $<HTMLButtonElement>('start');
const stopButton = $<HTMLButtonElement>('stop');
startButton.onclick = () => void client.start();
stopButton.onclick = () => void client.stop();

function appendLog(line: LogLine): void {
  const log = $<HTMLOListElement>('log');
  const item = document.createElement('li');
  item.className = line.kind;
  item.textContent = `${(line.atMs / 1000).toFixed(2).padStart(7)} s  ${line.text}`;
  log.append(item);
  while (log.childElementCount > MAX_LOG_LINES) log.firstElementChild?.remove();
  item.scrollIntoView({ block: 'nearest' });
}

let renderPending = false;
function scheduleRender(): void {
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => {
    renderPending = false;
    render();
  });
}

function render(): void {
  const d = client.debug;
  startButton.disabled = d.state !== 'idle' && d.state !== 'closed';
  stopButton.disabled = d.state !== 'starting' && d.state !== 'running';
  $('state').textContent = d.state;
  $('state').dataset.state = d.state;
  $('session').textContent = d.sessionId ?? '-';
  $('rates').textContent = d.contextRate
    ? `${d.contextRate} Hz audio context, ${d.wireRate} Hz on the wire`
    : '-';
  $('mic').textContent = `${d.micFramesSent} frames sent`;
  $('audio').textContent =
    `${d.framesReceived} received, ${d.framesPlayed} played, ${d.framesDropped} dropped` +
    ` (${Math.round(d.droppedMs)} ms)`;
  $('position').textContent = `${Math.round(d.positionMs)} ms${d.playing ? ' (playing)' : ''}`;
  $('heard').textContent = d.heard || '-';
}

render();
