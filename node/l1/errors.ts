// L1 failures as one typed error: a contract's custom error decoded by name and arguments
// (iface.parseError over every ABI the client knows), Error(string)/Panic, or a transport
// failure (insufficient funds, nonce, timeout, RPC). Never a raw ethers error.
import { ErrorFragment, Interface, isError, type InterfaceAbi } from 'ethers';

/** code: the custom error name ("WrongPhase"), or one of the generic codes below. */
export type L1ErrorCode = string;
export const L1_GENERIC_CODES = [
  'revert', // revert without data or with data no known ABI decodes
  'panic', // Panic(uint256)
  'insufficient-funds',
  'nonce', // nonce too low / already used (the sender resets and retries once)
  'timeout',
  'rpc', // any other JSON-RPC / network failure
] as const;

export class L1Error extends Error {
  constructor(
    readonly code: L1ErrorCode,
    message: string,
    readonly details: {
      /** "propose", "submitProof", ... */
      method?: string;
      /** decoded custom error arguments by name (and index) */
      args?: Record<string, unknown>;
      /** raw revert data */
      data?: string;
      txHash?: string;
      /** 'preflight' (eth_estimateGas/eth_call), 'send' (RPC rejected the tx), 'mined' (reverted on chain) */
      stage?: 'preflight' | 'send' | 'mined';
      cause?: unknown;
    } = {},
  ) {
    super(message);
    this.name = 'L1Error';
    // keep the raw ethers error reachable but out of logs and util.inspect (it can be huge)
    if ('cause' in details) Object.defineProperty(details, 'cause', { enumerable: false, value: details.cause });
  }
}

const PANICS: Record<number, string> = {
  0x01: 'assertion failed', 0x11: 'arithmetic overflow or underflow', 0x12: 'division by zero',
  0x21: 'bad enum value', 0x22: 'bad storage byte array', 0x31: 'pop on empty array',
  0x32: 'array index out of bounds', 0x41: 'out of memory', 0x51: 'call to an uninitialised function',
};

/** Enum labels per error selector and argument (from the JSON ABI's internalType "enum X.Name"). */
const enumLabels = new WeakMap<Interface, Map<string, (readonly string[] | undefined)[]>>();

/**
 * One Interface holding the error fragments of every ABI given (deduplicated by selector).
 * `enums` maps an enum's name ("Phase") to its labels, so decoded errors read
 * `WrongPhase(slot=1, expected=Proposal, actual=Reveal)`.
 */
export function errorInterface(abis: InterfaceAbi[], enums: Record<string, readonly string[]> = {}): Interface {
  const seen = new Map<string, ErrorFragment>();
  const labels = new Map<string, (readonly string[] | undefined)[]>();
  for (const abi of abis) {
    for (const f of Interface.from(abi).fragments) {
      if (f instanceof ErrorFragment && !seen.has(f.selector)) seen.set(f.selector, f);
    }
    if (!Array.isArray(abi)) continue;
    for (const item of abi as unknown[]) {
      const e = item as { type?: string; inputs?: { internalType?: string }[] };
      if (typeof item !== 'object' || e.type !== 'error' || !e.inputs) continue;
      const frag = ErrorFragment.from(item as never);
      const l = e.inputs.map((p) => {
        const m = /^enum (?:\w+\.)?(\w+)$/.exec(p.internalType ?? '');
        return m ? enums[m[1]] : undefined;
      });
      if (l.some(Boolean)) labels.set(frag.selector, l);
    }
  }
  const iface = new Interface([...seen.values()]);
  enumLabels.set(iface, labels);
  return iface;
}

function fmtValue(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return `[${v.map(fmtValue).join(', ')}]`;
  return String(v);
}

/** Revert data -> L1Error (custom error, Error(string), Panic, or undecodable). */
export function decodeRevert(iface: Interface, data: string | null | undefined, context: { method?: string; stage?: L1Error['details']['stage']; txHash?: string; cause?: unknown } = {}): L1Error {
  const where = context.method ? `${context.method} reverted` : 'call reverted';
  if (!data || data === '0x') return new L1Error('revert', `${where} without a reason`, { ...context, data: data ?? undefined });
  let parsed: ReturnType<Interface['parseError']> = null;
  try { parsed = iface.parseError(data); } catch { parsed = null; }
  if (!parsed) return new L1Error('revert', `${where} with unknown error data ${data.slice(0, 10)} (${(data.length - 2) / 2} bytes)`, { ...context, data });
  if (parsed.name === 'Error') return new L1Error('revert', `${where}: ${String(parsed.args[0])}`, { ...context, data, args: { reason: parsed.args[0] } });
  if (parsed.name === 'Panic') {
    const code = Number(parsed.args[0]);
    return new L1Error('panic', `${where}: panic 0x${code.toString(16)} (${PANICS[code] ?? 'unknown panic'})`, { ...context, data, args: { code } });
  }
  const args: Record<string, unknown> = {};
  const labels = enumLabels.get(iface)?.get(parsed.selector);
  const shown = parsed.fragment.inputs.map((_p, i) => {
    const v = parsed!.args[i];
    const l = labels?.[i];
    return l && typeof v === 'bigint' && v < BigInt(l.length) ? l[Number(v)] : v;
  });
  parsed.fragment.inputs.forEach((p, i) => { args[p.name || String(i)] = shown[i]; });
  const argText = parsed.fragment.inputs.map((p, i) => `${p.name ? `${p.name}=` : ''}${fmtValue(shown[i])}`).join(', ');
  return new L1Error(parsed.name, `${where}: ${parsed.name}(${argText})`, { ...context, data, args });
}

/** Finds revert data anywhere in an ethers/JSON-RPC error object. */
function revertData(e: unknown): string | undefined {
  const seen = new Set<unknown>();
  const walk = (x: unknown, depth: number): string | undefined => {
    if (!x || typeof x !== 'object' || seen.has(x) || depth > 6) return undefined;
    seen.add(x);
    const o = x as Record<string, unknown>;
    if (typeof o.data === 'string' && /^0x[0-9a-fA-F]*$/.test(o.data) && o.data.length >= 10) return o.data;
    for (const k of ['data', 'error', 'info', 'cause', 'payload']) {
      const r = walk(o[k], depth + 1);
      if (r) return r;
    }
    return undefined;
  };
  return walk(e, 0);
}

function rpcMessage(e: unknown): string {
  const o = e as { shortMessage?: string; message?: string; info?: { error?: { message?: string } }; error?: { message?: string } };
  return o?.info?.error?.message ?? o?.error?.message ?? o?.shortMessage ?? o?.message ?? String(e);
}

/** Any error from ethers (estimateGas, call, sendTransaction, wait) -> L1Error. */
export function toL1Error(iface: Interface, e: unknown, context: { method?: string; stage?: L1Error['details']['stage']; txHash?: string } = {}): L1Error {
  if (e instanceof L1Error) return e;
  const where = context.method ?? 'L1 call';
  const data = revertData(e);
  if (isError(e, 'CALL_EXCEPTION') || data) return decodeRevert(iface, data ?? (e as { data?: string }).data, { ...context, cause: e });
  const msg = rpcMessage(e);
  if (isError(e, 'INSUFFICIENT_FUNDS') || /insufficient funds/i.test(msg)) return new L1Error('insufficient-funds', `${where}: the sender cannot pay for gas and value (${msg})`, { ...context, cause: e });
  if (isError(e, 'NONCE_EXPIRED') || /nonce too low|nonce has already been used|nonce too high|invalid nonce/i.test(msg)) return new L1Error('nonce', `${where}: nonce rejected (${msg})`, { ...context, cause: e });
  if (isError(e, 'TIMEOUT')) return new L1Error('timeout', `${where}: timed out (${msg})`, { ...context, cause: e });
  return new L1Error('rpc', `${where}: ${msg}`, { ...context, cause: e });
}
