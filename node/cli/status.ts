// `sidecar status`: a running node's state in a few readable lines (slot and phase, health,
// chain heads, recent blocks, proving, money), from its HTTP API; `--json` prints the raw answers.
import { formatUnits } from 'ethers';

interface Check { name: string; ok: boolean; detail: string }
export interface StatusAnswers {
  status: {
    address: string; roles: string[]; version?: string; sidecar: string; chainId: string; mempool: number;
    l1: { head: number; slot: number; phase: string } | null;
    chain: { pending: { slot: number }; proven: { slot: number }; l1Block: number; killedUpTo: number; diverged?: string };
    health?: { ok: boolean; checks: Check[] };
    money?: { earned: Record<string, string>; withdrawn: string; depositsAtRisk: string };
  };
  blocks: { blocks: { slot: number; status: string; sequencer: string; prover?: string; txs: number; finalized: boolean }[] };
  proving: { active: { slot: number; jobs: number; done: number; reused: number; ms: number }[]; finished: { slot: number; circuit: string; ms: number; txs: number }[] };
}

const short = (a: string | undefined) => (a ? `${a.slice(0, 8)}…${a.slice(-4)}` : '-');
const tokens = (v: string) => {
  const s = formatUnits(BigInt(v), 18);
  return s.endsWith('.0') ? s.slice(0, -2) : s;
};

export function formatStatus(a: StatusAnswers): string {
  const s = a.status;
  const out: string[] = [];
  out.push(`node ${s.address} (${s.roles.join(', ')})${s.version ? `, sidecar ${s.version}` : ''}, Sidecar ${s.sidecar} on chain ${s.chainId}`);
  if (s.health) {
    out.push(s.health.ok ? 'health: ok' : `health: UNHEALTHY: ${s.health.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`).join('; ')}`);
  }
  out.push(s.l1 ? `L1: head #${s.l1.head}, slot ${s.l1.slot}, phase ${s.l1.phase}` : 'L1: not reached yet');
  const c = s.chain;
  out.push(`chain: pending slot ${c.pending.slot}, proven slot ${c.proven.slot}, synced to L1 #${c.l1Block}${c.killedUpTo ? `, void up to slot ${c.killedUpTo}` : ''}${c.diverged ? `, DIVERGED: ${c.diverged}` : ''}; mempool ${s.mempool} txs`);
  const blocks = a.blocks.blocks;
  if (blocks.length === 0) out.push('blocks: none yet');
  else {
    const counts: Record<string, number> = {};
    for (const b of blocks) counts[b.status] = (counts[b.status] ?? 0) + 1;
    out.push(`blocks (last ${blocks.length}): ${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ')}`);
    for (const b of blocks.slice(-5)) {
      out.push(`  slot ${String(b.slot).padStart(5)}  ${b.status.padEnd(11)} ${String(b.txs).padStart(4)} txs  sequencer ${short(b.sequencer)}  prover ${short(b.prover)}${b.finalized ? '  finalized' : ''}`);
    }
  }
  const active = a.proving.active;
  out.push(active.length === 0 ? 'proving: idle' : `proving: ${active.map((p) => `slot ${p.slot} ${p.done}/${p.jobs} jobs${p.reused ? ` (${p.reused} reused)` : ''} ${(p.ms / 1000).toFixed(0)} s`).join(', ')}`);
  const last = a.proving.finished.at(-1);
  if (last) out.push(`  last proof: slot ${last.slot}, ${last.circuit}, ${last.txs} txs, ${(last.ms / 1000).toFixed(1)} s`);
  if (s.money) {
    const earned = Object.entries(s.money.earned).map(([k, v]) => `${k} ${tokens(v)}`).join(', ') || 'nothing yet';
    out.push(`money (tokens, since start): earned ${earned}; withdrawn ${tokens(s.money.withdrawn)}; deposits at risk ${tokens(s.money.depositsAtRisk)}`);
  }
  return `${out.join('\n')}\n`;
}
