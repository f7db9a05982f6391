import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startApiServer, HttpError, type ApiServer } from '../../../node/api/server.js';
import { NodeMetrics } from '../../../node/metrics.js';
import { createLogger } from '../../../node/log.js';

describe('api server', () => {
  let api: ApiServer;
  const metrics = new NodeMetrics({ defaultMetrics: false });
  before(async () => {
    api = await startApiServer({
      host: '127.0.0.1', port: 0, log: createLogger('test'), metrics: () => metrics.text(),
      routes: [
        { method: 'GET', pattern: '/v1/blocks/:slot', handler: (r) => {
          if (!/^\d+$/.test(r.params.slot)) throw new HttpError(400, 'BAD_SLOT', 'slot must be a whole number');
          return { slot: BigInt(r.params.slot) };
        } },
        { method: 'POST', pattern: '/v1/echo', handler: (r) => ({ got: r.body }) },
        { method: 'GET', pattern: '/v1/boom', handler: () => { throw new Error('kaput'); } },
      ],
    });
  });
  after(() => api.close());

  it('routes with params and serialises bigints', async () => {
    const r = await fetch(`${api.url}/v1/blocks/7`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { slot: '7' });
  });
  it('turns handler errors into JSON errors with status', async () => {
    let r = await fetch(`${api.url}/v1/blocks/x`);
    assert.equal(r.status, 400);
    assert.deepEqual(await r.json(), { error: { code: 'BAD_SLOT', message: 'slot must be a whole number' } });
    r = await fetch(`${api.url}/v1/boom`);
    assert.equal(r.status, 500);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'INTERNAL');
    r = await fetch(`${api.url}/v1/nope`);
    assert.equal(r.status, 404);
    r = await fetch(`${api.url}/v1/echo`);
    assert.equal(r.status, 405);
  });
  it('refuses bad JSON, wrong content type and oversized bodies', async () => {
    const post = (body: string, type = 'application/json') => fetch(`${api.url}/v1/echo`, { method: 'POST', body, headers: { 'content-type': type } });
    let r = await post('{"a":');
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'BAD_JSON');
    r = await post('{}', 'text/plain');
    assert.equal(r.status, 415);
    r = await post(JSON.stringify({ big: 'x'.repeat(300 * 1024) }));
    assert.equal(r.status, 413);
    r = await post('{"a":1}');
    assert.deepEqual(await r.json(), { got: { a: 1 } });
  });
  it('serves prometheus metrics', async () => {
    metrics.proofsFinished.inc({ circuit: 'segment' });
    metrics.gaugeFrom('sidecar_test_queue', 'test', () => [{ value: 3 }]);
    const text = await (await fetch(`${api.url}/metrics`)).text();
    assert.match(text, /sidecar_proofs_finished_total\{circuit="segment"\} 1/);
    assert.match(text, /sidecar_test_queue 3/);
  });
});
