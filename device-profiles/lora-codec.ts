import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { getQuickJS, shouldInterruptAfterDeadline, type QuickJSContext, type QuickJSRuntime } from 'quickjs-emscripten';
import { TzError } from '../service-kit/index.ts';
import type { DeviceProfile } from './schema.ts';

// LoRa payload codecs: a profile's TTN/ChirpStack-style `decodeUplink(input)`
// (and optional `encodeDownlink(input)`) run in a QuickJS WebAssembly sandbox
// (quickjs-emscripten), as ChirpStack runs codecs in QuickJS (codec/js/mod.rs):
// a codec is code from a file someone wrote, so it gets no `process`, no
// `require`, no network or timers, a time limit and a memory limit, and its
// answer is checked before anyone believes it.

/** What `decodeUplink` receives (TTN v3 "Uplink decoder" input). */
export interface UplinkInput {
  bytes: number[];
  fPort: number;
  /** ISO 8601 receive time. */
  recvTime?: string;
}

/** The `{data, errors, warnings}` contract; `data` holds metric values by metric name. */
export interface UplinkDecodeResult {
  data: Record<string, number | boolean>;
  errors: string[];
  warnings: string[];
}

export interface DownlinkEncodeResult {
  bytes: number[];
  fPort: number | undefined;
  errors: string[];
  warnings: string[];
}

export interface CodecLimits {
  /** Wall-clock limit of one call (and of evaluating the codec file). */
  timeoutMs: number;
  /** Heap limit of the sandbox runtime. */
  memoryBytes: number;
  maxStackBytes: number;
}

const LOAD_TIMEOUT_MS = 500;

export const DEFAULT_CODEC_LIMITS: CodecLimits = { timeoutMs: 100, memoryBytes: 8 * 1024 * 1024, maxStackBytes: 256 * 1024 };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);

/** One profile's codec in its own sandbox runtime. Calls never throw: failures come back in `errors`. */
export class LoraCodec {
  private runtime: QuickJSRuntime;
  private vm: QuickJSContext;
  private hasEncoder = false;
  /** Calls that hit the time or memory limit (the sandbox is rebuilt after each). */
  limitHits = 0;

  private constructor(
    readonly name: string,
    private readonly source: string,
    private readonly limits: CodecLimits,
    private readonly quickjs: Awaited<ReturnType<typeof getQuickJS>>,
    private readonly entry: string,
  ) {
    ({ runtime: this.runtime, vm: this.vm } = this.newSandbox());
  }

  /**
   * Evaluates the codec source in a fresh sandbox; TZ_CODEC_INVALID when it
   * does not define the entry function (`decodeUplink`, or `decodeJson` for the JSON codecs of json-codec.ts).
   */
  static async load(source: string, name: string, limits: Partial<CodecLimits> = {}, entry: 'decodeUplink' | 'decodeJson' = 'decodeUplink'): Promise<LoraCodec> {
    const codec = new LoraCodec(name, source, { ...DEFAULT_CODEC_LIMITS, ...limits }, await getQuickJS(), entry);
    codec.build();
    return codec;
  }

  get canEncode(): boolean {
    return this.hasEncoder;
  }

  decodeUplink(input: UplinkInput): UplinkDecodeResult {
    const out = this.call('decodeUplink', input);
    if ('failure' in out) return { data: {}, errors: [out.failure], warnings: [] };
    const r = out.value;
    if (!isRecord(r)) return { data: {}, errors: ['decodeUplink must return an object {data, errors, warnings}'], warnings: [] };
    const errors = strings(r.errors);
    const warnings = strings(r.warnings);
    const data: Record<string, number | boolean> = {};
    if (r.data !== undefined && !isRecord(r.data)) errors.push('data must be an object of metric values');
    else if (r.data) {
      for (const [k, v] of Object.entries(r.data)) {
        if (typeof v === 'number' || typeof v === 'boolean') data[k] = v;
        else warnings.push(`data.${k}: ignored (not a number or boolean)`);
      }
    }
    return { data, errors, warnings };
  }

  encodeDownlink(input: { data: Record<string, number | boolean> }): DownlinkEncodeResult {
    if (!this.hasEncoder) return { bytes: [], fPort: undefined, errors: [`codec ${this.name} has no encodeDownlink`], warnings: [] };
    const out = this.call('encodeDownlink', input);
    if ('failure' in out) return { bytes: [], fPort: undefined, errors: [out.failure], warnings: [] };
    const r = out.value;
    if (!isRecord(r)) return { bytes: [], fPort: undefined, errors: ['encodeDownlink must return an object {bytes, fPort, errors, warnings}'], warnings: [] };
    const errors = strings(r.errors);
    const bytes = Array.isArray(r.bytes) && r.bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255) ? (r.bytes as number[]) : null;
    if (!bytes && errors.length === 0) errors.push('bytes must be an array of integers 0..255');
    const fPort = typeof r.fPort === 'number' && Number.isInteger(r.fPort) && r.fPort >= 1 && r.fPort <= 223 ? r.fPort : undefined;
    return { bytes: bytes ?? [], fPort, errors, warnings: strings(r.warnings) };
  }

  dispose(): void {
    this.vm.dispose();
    this.runtime.dispose();
  }

  /** A runtime within the limits and its context, with nothing evaluated yet. */
  private newSandbox(): { runtime: QuickJSRuntime; vm: QuickJSContext } {
    const runtime = this.quickjs.newRuntime();
    runtime.setMemoryLimit(this.limits.memoryBytes);
    runtime.setMaxStackSize(this.limits.maxStackBytes);
    return { runtime, vm: runtime.newContext() };
  }

  /** Evaluates the source in the current sandbox (the constructor's, or a fresh one after a limit hit). */
  private build(): void {
    // Evaluating the file is a one-off (and may be the first WebAssembly work of the process): a looser limit.
    this.runtime.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + Math.max(this.limits.timeoutMs, LOAD_TIMEOUT_MS)));
    const result = this.vm.evalCode(this.source, this.name);
    this.runtime.removeInterruptHandler();
    if (result.error) {
      const message = describe(this.vm.dump(result.error));
      result.error.dispose();
      this.dispose();
      throw new TzError('TZ_CODEC_INVALID', `codec ${this.name} failed to load: ${message}`);
    }
    result.value.dispose();
    const kinds = this.vm.unwrapResult(this.vm.evalCode(`[typeof ${this.entry}, typeof encodeDownlink].join()`));
    const [decode, encode] = this.vm.getString(kinds).split(',');
    kinds.dispose();
    if (decode !== 'function') {
      this.dispose();
      throw new TzError('TZ_CODEC_INVALID', `codec ${this.name} does not define a function ${this.entry}(input)`);
    }
    this.hasEncoder = encode === 'function';
  }

  /** Calls the sandbox's entry function (json-codec.ts checks its answer). */
  invokeEntry(input: unknown): { value: unknown } | { failure: string } {
    return this.call(this.entry, input);
  }

  /** Calls a codec function with a JSON copy of `input`; the result comes back as JSON too (no handles escape). */
  private call(fn: string, input: unknown): { value: unknown } | { failure: string } {
    const vm = this.vm;
    const arg = vm.newString(JSON.stringify(input));
    vm.setProp(vm.global, '__tzInput', arg);
    arg.dispose();
    const started = Date.now();
    this.runtime.setInterruptHandler(shouldInterruptAfterDeadline(started + this.limits.timeoutMs));
    const result = vm.evalCode(`JSON.stringify(${fn}(JSON.parse(__tzInput)))`, `${this.name}:${fn}`);
    this.runtime.removeInterruptHandler();
    if (result.error) {
      const message = describe(vm.dump(result.error));
      result.error.dispose();
      const interrupted = /interrupted/i.test(message);
      const oom = /out of memory/i.test(message);
      if (interrupted || oom) {
        // A runaway codec may leave its heap in any state: start it over.
        this.limitHits++;
        this.dispose();
        ({ runtime: this.runtime, vm: this.vm } = this.newSandbox());
        this.build();
        return { failure: interrupted ? `codec ${this.name}: ${fn} timed out after ${this.limits.timeoutMs} ms` : `codec ${this.name}: ${fn} exceeded the memory limit of ${this.limits.memoryBytes} bytes` };
      }
      return { failure: `codec ${this.name}: ${fn} threw: ${message}` };
    }
    const text = vm.typeof(result.value) === 'string' ? vm.getString(result.value) : undefined;
    result.value.dispose();
    if (text === undefined) return { failure: `codec ${this.name}: ${fn} returned nothing` };
    try {
      return { value: JSON.parse(text) as unknown };
    } catch {
      return { failure: `codec ${this.name}: ${fn} returned a value that is not JSON` };
    }
  }
}

function describe(dumped: unknown): string {
  if (isRecord(dumped)) return `${String(dumped.name ?? 'Error')}: ${String(dumped.message ?? JSON.stringify(dumped))}`;
  return String(dumped);
}

/** Loads the codec a profile names (`lora.codec`, relative to the profile folder, as the loader checks it). */
export async function loadProfileCodec(profile: DeviceProfile, profileDir: string, limits: Partial<CodecLimits> = {}): Promise<LoraCodec> {
  if (!profile.lora) throw new TzError('TZ_CODEC_INVALID', `profile ${profile.class} has no lora codec`);
  return LoraCodec.load(readCodecSource(profile, profileDir, profile.lora.codec), `${profile.class}:${profile.lora.codec}`, limits);
}

/** A codec file a profile names, relative to the profile folder (LoRa and JSON codecs alike). */
export function readCodecSource(profile: DeviceProfile, profileDir: string, codec: string): string {
  const file = resolve(profileDir, codec);
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new TzError('TZ_CODEC_INVALID', `profile ${profile.class}: cannot read codec ${file}: ${(err as Error).message}`, { cause: err });
  }
}
