// The model's tool arguments against the tool's JSON Schema (zod): what
// matches passes through, the rest is said the way the model can fix it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ToolConfig } from '../../../src/config/bootstrap-schema.ts';
import { parseToolArguments } from '../../../src/tools/http-tool.ts';

const tool: ToolConfig = {
  name: 'refund',
  description: '',
  parameters: {
    type: 'object',
    properties: { order_id: { type: 'string' }, amount: { type: 'number', minimum: 0 } },
    required: ['order_id', 'amount'],
  },
  url: 'https://shop.example.test/refunds',
  method: 'POST',
  headers: {},
  timeout_ms: 1000,
  read_only: false,
};

describe('tool arguments', () => {
  test('arguments matching the schema pass', () => {
    assert.deepEqual(parseToolArguments(tool, '{"order_id":"A-1","amount":5}'), {
      ok: true,
      value: { order_id: 'A-1', amount: 5 },
    });
  });

  test('JSON that is not JSON, a missing field and a wrong type are named', () => {
    const notJson = parseToolArguments(tool, '{"order_id":');
    assert.equal(notJson.ok, false);
    assert.match(notJson.ok ? '' : notJson.error, /not valid JSON/);
    const missing = parseToolArguments(tool, '{"order_id":"A-1"}');
    assert.match(missing.ok ? '' : missing.error, /amount/);
    const negative = parseToolArguments(tool, '{"order_id":"A-1","amount":-3}');
    assert.match(negative.ok ? '' : negative.error, /amount/);
  });
});
