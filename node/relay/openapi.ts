// The OpenAPI 3.1 document of the relay API v1, built from the zod schemas both sides validate
// with (node/relay/api.ts), so the document cannot drift from the code: docs/relay-api.json is
// this output (a unit test checks it). Regenerate: npm run relay:openapi
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import {
  MAX_WAIT_MS, OpenRfq, ProverRegistered, ProverRegistration, QuoteAccepted, QuoteJson, QuoteSubmission, RELAY_API_VERSION, RelayError, RelayStatus, RfqAnswer, RfqFeed, RfqJson, RfqRequest, SignedQuoteJson,
} from './api.js';

const SCHEMAS = { RfqJson, QuoteJson, SignedQuoteJson, RfqRequest, RfqAnswer, ProverRegistration, ProverRegistered, OpenRfq, RfqFeed, QuoteSubmission, QuoteAccepted, RelayStatus, RelayError };

const ref = (name: keyof typeof SCHEMAS) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: keyof typeof SCHEMAS, description: string) => ({ description, content: { 'application/json': { schema: ref(name) } } });
const err = (description: string) => json('RelayError', description);

export function relayOpenApi(): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(SCHEMAS)) {
    const j = z.toJSONSchema(s as z.ZodType, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    delete j.$schema;
    schemas[name] = j;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'sidecar quote relay API', version: RELAY_API_VERSION,
      description: 'Sequencers post their signed RFQ (EIP-712 `Rfq`, sent only once the block is revealed on L1) and get back signed EIP-712 `Quote`s; provers register, long-poll for open RFQs and post quotes. Integers are decimal strings, bytes 0x-hex. The sequencer checks every quote exactly as a p2p quote (signature, its own address as the quote\'s sequencer, single use, the prover\'s funding on L1). Design: node/relay/README.md.',
    },
    paths: {
      '/v1/status': { get: { operationId: 'status', summary: 'the relay\'s name, domain and counts', responses: { 200: json('RelayStatus', 'status') } } },
      '/v1/rfqs': {
        post: {
          operationId: 'requestQuotes', summary: 'sequencer: open an RFQ; answered with the quotes collected after `waitMs` (earlier once every registered prover quoted)',
          requestBody: { required: true, content: { 'application/json': { schema: ref('RfqRequest') } } },
          responses: { 200: json('RfqAnswer', 'the quotes collected'), 400: err('bad-request (schema), bad-signature (the RFQ signature does not recover)'), 429: err('too-many open RFQs') },
        },
        get: {
          operationId: 'pollRfqs', summary: 'prover: long poll for open RFQs after `after` not quoted yet by this prover',
          parameters: [
            { name: 'prover', in: 'query', required: true, schema: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' } },
            { name: 'after', in: 'query', required: false, schema: { type: 'integer', minimum: 0, default: 0 }, description: 'the cursor of the previous answer' },
            { name: 'waitMs', in: 'query', required: false, schema: { type: 'integer', minimum: 0, maximum: MAX_WAIT_MS, default: 25000 }, description: 'hold the request this long when nothing is open' },
          ],
          responses: { 200: json('RfqFeed', 'open RFQs and the next cursor'), 400: err('bad-request'), 403: err('unknown-prover: register first') },
        },
      },
      '/v1/provers': {
        post: {
          operationId: 'registerProver', summary: 'prover: register for the RFQ feed',
          requestBody: { required: true, content: { 'application/json': { schema: ref('ProverRegistration') } } },
          responses: { 200: json('ProverRegistered', 'registered'), 400: err('bad-request'), 429: err('too-many provers') },
        },
      },
      '/v1/quotes': {
        post: {
          operationId: 'submitQuote', summary: 'prover: a signed quote for an open RFQ (one per prover and RFQ; a new one replaces it)',
          requestBody: { required: true, content: { 'application/json': { schema: ref('QuoteSubmission') } } },
          responses: {
            200: json('QuoteAccepted', 'taken'), 400: err('bad-request, bad-signature (not signed by its prover), wrong-terms (another slot, block or sequencer than the RFQ\'s; fee above the tip; deposit below the RFQ\'s; not prover-funded)'),
            403: err('unknown-prover'), 404: err('unknown-rfq'), 409: err('rfq-closed'),
          },
        },
      },
    },
    components: { schemas },
  };
}

export const OPENAPI_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/relay-api.json');

export function openApiText(): string {
  return `${JSON.stringify(relayOpenApi(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  writeFileSync(OPENAPI_FILE, openApiText());
  process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
}
