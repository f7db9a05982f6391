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
  }
}

const PANICS: Record<number, string> = {
  0x01: 'assertion failed', 0x11: 'arithmetic overflow or underflow', 0x12: 'division by zero',
  0x21: 'bad enum value', 0x22: 'bad storage byte array', 0x31: 'pop on empty array',
  0x32: 'array index out of bounds', 0x41: 'out of memory', 0x51: 'call to an uninitialised function',
};

/** One Interface holding the error fragments of every ABI given (deduplicated by selector). */
export function errorInterface(...abis: InterfaceAbi[]): Interface {
  const seen = new Map<string, ErrorFragment>();
  for (const abi of abis) {
    for (const f of Interface.from(abi).fragments) {
      if (f instanceof ErrorFragment && !seen.has(f.selector)) seen.set(f.selector, f);
    }
  }
  return new Interface([...seen.values()]);
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
  parsed.fragment.inputs.forEach((p, i) => { args[p.name || String(i)] = parsed!.args[i]; });
  const argText = parsed.fragment.inputs.map((p, i) => `${p.name ? `${p.name}=` : ''}${fmtValue(parsed!.args[i])}`).join(', ');
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
