// The prover's persistent state over node/storage: proving jobs (id = hash of inputs, from
// circuits/plan.ts), their status, attempts and errors; their results (proof bytes, public
// inputs, fields); and the blocks being proven with their plans, so a restarted node knows
// which blocks to resubmit and reuses every finished proof.
import type { ProofPlan } from '../circuits/plan.js';
import { jsonCodec, type Repository, type Store } from '../node/storage/index.js';
import type { JobErrorCode, JobResult, JobStatus, ProofJob } from './types.js';

export interface JobRecord {
  id: string;
  blockHash: string;
  circuit: string;
  kind: ProofJob['kind'];
  deps: string[];
  status: JobStatus;
  attempts: number;
  errors: { at: number; code: JobErrorCode; message: string }[];
  createdAt: number;
  updatedAt: number;
}

export type BlockStatus = 'proving' | 'done' | 'failed' | 'cancelled';

export interface BlockRecord {
  blockHash: string;
  slot: bigint;
  /** The block's proving deadline (L1 block number or ms; smaller is sooner). */
  deadline: number;
  plan: ProofPlan;
  status: BlockStatus;
  error?: string;
  createdAt: number;
  updatedAt: number;
}

const MAX_ERRORS_KEPT = 10;

function checkResult(v: unknown): JobResult {
  const r = v as JobResult;
  if (!r || !(r.proof instanceof Uint8Array) || !Array.isArray(r.publicInputs)) throw new Error('not a job result (proof bytes and public inputs)');
  return r;
}

export class JobStore {
  readonly jobs: Repository<JobRecord>;
  readonly results: Repository<JobResult>;
  readonly blocks: Repository<BlockRecord>;

  constructor(readonly store: Store) {
    this.jobs = store.repository<JobRecord>('prover.jobs', jsonCodec());
    this.results = store.repository<JobResult>('prover.results', jsonCodec(checkResult));
    this.blocks = store.repository<BlockRecord>('prover.blocks', jsonCodec());
  }

  getJob(id: string): Promise<JobRecord | undefined> {
    return this.jobs.get(id);
  }

  /** A job's persisted proof; a result that does not decode counts as missing (it is reproven). */
  async getResult(id: string): Promise<JobResult | undefined> {
    try {
      return await this.results.get(id);
    } catch (e) {
      if ((e as { code?: string }).code === 'bad-value') return undefined;
      throw e;
    }
  }

  /** Records a job as queued (keeping its attempts and errors if it was seen before). */
  async ensureJob(job: ProofJob, blockHash: string): Promise<JobRecord> {
    const now = Date.now();
    const old = await this.jobs.get(job.id);
    const rec: JobRecord = old
      ? { ...old, status: old.status === 'done' ? 'done' : 'queued', updatedAt: now }
      : { id: job.id, blockHash, circuit: job.circuit, kind: job.kind, deps: job.deps, status: 'queued', attempts: 0, errors: [], createdAt: now, updatedAt: now };
    await this.jobs.put(job.id, rec);
    return rec;
  }

  async markRunning(id: string): Promise<JobRecord | undefined> {
    const rec = await this.jobs.get(id);
    if (!rec) return undefined;
    const next = { ...rec, status: 'running' as const, attempts: rec.attempts + 1, updatedAt: Date.now() };
    await this.jobs.put(id, next);
    return next;
  }

  async markError(id: string, code: JobErrorCode, message: string, status: JobStatus): Promise<void> {
    const rec = await this.jobs.get(id);
    if (!rec) return;
    const errors = [...rec.errors, { at: Date.now(), code, message }].slice(-MAX_ERRORS_KEPT);
    await this.jobs.put(id, { ...rec, status, errors, updatedAt: Date.now() });
  }

  async setStatus(id: string, status: JobStatus): Promise<void> {
    const rec = await this.jobs.get(id);
    if (rec && rec.status !== status) await this.jobs.put(id, { ...rec, status, updatedAt: Date.now() });
  }

  /** The job's proof and its `done` status, in one atomic write. */
  async saveResult(id: string, result: JobResult): Promise<void> {
    const rec = await this.jobs.get(id);
    const b = this.store.batch().put(this.results, id, result);
    if (rec) b.put(this.jobs, id, { ...rec, status: 'done', updatedAt: Date.now() });
    await b.write();
  }

  async putBlock(rec: Omit<BlockRecord, 'createdAt' | 'updatedAt' | 'status'> & { status?: BlockStatus }): Promise<BlockRecord> {
    const old = await this.blocks.get(rec.blockHash);
    const now = Date.now();
    const next: BlockRecord = { ...rec, status: rec.status ?? 'proving', createdAt: old?.createdAt ?? now, updatedAt: now };
    await this.blocks.put(rec.blockHash, next);
    return next;
  }

  async setBlockStatus(blockHash: string, status: BlockStatus, error?: string): Promise<void> {
    const rec = await this.blocks.get(blockHash);
    if (rec) await this.blocks.put(blockHash, { ...rec, status, error, updatedAt: Date.now() });
  }

  getBlock(blockHash: string): Promise<BlockRecord | undefined> {
    return this.blocks.get(blockHash);
  }

  /** Blocks whose proving had not finished (the node resubmits them after a restart). */
  async unfinishedBlocks(): Promise<BlockRecord[]> {
    return (await this.blocks.values()).filter((b) => b.status === 'proving').sort((a, b) => a.deadline - b.deadline);
  }

  /** Forget a block's jobs and proofs (after its proof is final on L1, or it was reorged out). */
  async pruneBlock(blockHash: string): Promise<number> {
    const rec = await this.blocks.get(blockHash);
    const b = this.store.batch().del(this.blocks, blockHash);
    for (const j of rec?.plan.jobs ?? []) b.del(this.jobs, j.id).del(this.results, j.id);
    const n = b.length - 1;
    await b.write();
    return n;
  }
}
