// index.d.ts — types of danmaku-client (src/client.js). Frames and events have the JSON
// shape of docs/PROTOCOL.md §2 in both formats (format=pb is mapped to it).

export type Format = 'json' | 'pb';
export type Compress = 'none' | 'zstd';
export type State = 'idle' | 'connecting' | 'open' | 'waiting' | 'closed';

export interface CommentEvent {
  seq: number; kind: 'comment'; ts_ms: number; user_id: string; nick: string; text: string;
  color: number; mode: 'scroll' | 'top' | 'bottom'; size: number;
  client_msg_id?: string; flags?: string[]; risk?: string;
}
export interface GiftEvent {
  seq: number; kind: 'gift'; ts_ms: number; user_id: string; nick: string; gift_id: string;
  gift_name: string; count: number; unit_value: number;
  client_msg_id?: string; flags?: string[]; risk?: string;
}
export interface LikeEvent {
  seq: number; kind: 'like'; ts_ms: number; user_id: string; nick?: string; count: number;
  client_msg_id?: string; flags?: string[]; risk?: string;
}
export type RoomEvent = CommentEvent | GiftEvent | LikeEvent;

export interface BatchFrame { type: 'batch'; room: string; epoch: string; from_seq: number; to_seq: number; events: RoomEvent[] }
/** `synthetic`: made by the client (a batch of a new epoch arrived without a reset). */
export interface ResetFrame { type: 'reset'; room: string; epoch: string; from_seq: number; reason: 'trimmed' | 'epoch_changed' | string; synthetic?: boolean }
/** reason `slow` from the edge; `missing` (synthetic) if events skipped a seq without a gap frame. */
export interface GapFrame { type: 'gap'; room: string; from_seq: number; to_seq: number; reason: 'slow' | 'missing' | string; synthetic?: boolean }
export interface ReconnectFrame { type: 'reconnect'; delay_ms: number }
/** Any other frame: JSON objects as received; pb frames of an unknown kind as {type:'unknown', bytes}. */
export interface OtherFrame { type: string; bytes?: Uint8Array; [k: string]: unknown }

export interface CloseInfo {
  code: number; reason: string; status?: number;
  /** false after 1002/1003/1007/1009 or a 4xx handshake answer: the client stops. */
  willRetry: boolean; delayMs?: number;
}

export interface ClientOptions {
  room: string;
  /** edge base URL, ws:// or wss:// (default: the page's own origin) */
  url?: string;
  format?: Format;
  compress?: Compress;
  /** events of history on the first join (edge default 20) */
  history?: number;
  token?: string;
  /** start as a resume from `since` of `epoch` */
  since?: number;
  epoch?: string;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** WebSocket constructor: globalThis.WebSocket by default; under Node pass the `ws` package's */
  WebSocket?: unknown;
  fetch?: typeof fetch;
  /** browser: URL of zstd.wasm (default: beside the bundle) */
  zstdWasmUrl?: string | URL;
}

export interface Stats { frames: number; events: number; dup_dropped: number; resets: number; gaps: number; reconnects: number; other: number }

export interface ClientEvents {
  /** new events in seq order, never a seq delivered before (per epoch) */
  events: (events: RoomEvent[], frame: BatchFrame | GapFrame) => void;
  reset: (f: ResetFrame) => void;
  gap: (f: GapFrame) => void;
  reconnect: (f: ReconnectFrame) => void;
  other: (f: OtherFrame) => void;
  open: (info: { url: string; connection: number }) => void;
  close: (info: CloseInfo) => void;
  error: (e: Error) => void;
  state: (s: State) => void;
}

export class DanmakuClient {
  constructor(opts: ClientOptions);
  readonly room: string;
  readonly format: Format;
  readonly compress: Compress;
  /** the room's epoch and the highest seq accounted for (delivered, or skipped by a gap/reset) */
  epoch: string | null;
  lastSeq: number | null;
  state: State;
  stats: Stats;
  on<K extends keyof ClientEvents>(name: K, fn: ClientEvents[K]): this;
  off<K extends keyof ClientEvents>(name: K, fn: ClientEvents[K]): this;
  start(): this;
  close(): void;
  /** the URL the next connection will use */
  url(): string;
}
export default DanmakuClient;

export function backoffDelay(attempt: number, minMs: number, maxMs: number, rand?: () => number): number;
export function reconnectDelay(delayMs: number, rand?: () => number): number;
export function decodeJson(data: string | Uint8Array): BatchFrame | ResetFrame | GapFrame | OtherFrame;
export function decodePb(bytes: Uint8Array): BatchFrame | ResetFrame | GapFrame | OtherFrame;
export function frameHeader(b: Uint8Array): { dictId: number; contentSize: number } | null;
export function dictId(dict: Uint8Array): number;
