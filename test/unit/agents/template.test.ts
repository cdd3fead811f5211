import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  PLACEHOLDERS,
  renderTemplate,
  templateTokens,
  type TemplateVars,
} from '../../../src/agents/rules/template.ts';

const full: TemplateVars = {
  customer: { name: 'Jane Doe', address: 'jane@customer.test' },
  conversation: { case_number: 42, title: 'Refund for order 1001' },
  agent: { name: 'Drafter' },
};

describe('renderTemplate', () => {
  test('every placeholder with its value', () => {
    const rendered = renderTemplate(
      'Hi {{customer.name}} ({{customer.first_name}}, {{customer.address}}), case #{{conversation.case_number}}: ' +
        '{{conversation.title}} / {{conversation.subject}}. — {{agent.name}}',
      full,
    );
    assert.deepEqual(rendered, {
      text: 'Hi Jane Doe (Jane, jane@customer.test), case #42: Refund for order 1001 / Refund for order 1001. — Drafter',
      unknown: [],
      fallbacks: [],
    });
  });

  test('spaces inside the braces are allowed; names are case-sensitive', () => {
    assert.equal(renderTemplate('Hi {{ customer.name }}!', full).text, 'Hi Jane Doe!');
    assert.deepEqual(renderTemplate('Hi {{Customer.Name}}!', full), {
      text: 'Hi {{Customer.Name}}!',
      unknown: ['Customer.Name'],
      fallbacks: [],
    });
  });

  test('the fallback table: every missing value renders its fallback and is reported', () => {
    const expected: Record<keyof typeof PLACEHOLDERS, string> = {
      'customer.name': 'there',
      'customer.first_name': 'there',
      'customer.address': 'your email address',
      'conversation.case_number': '',
      'conversation.title': 'your request',
      'conversation.subject': 'your request',
      'agent.name': 'Support',
    };
    for (const [name, fallback] of Object.entries(expected)) {
      assert.deepEqual(renderTemplate(`<{{${name}}}>`, {}), {
        text: `<${fallback}>`,
        unknown: [],
        fallbacks: [name],
      });
      const blanks: TemplateVars = {
        customer: { name: '  ', address: '' },
        conversation: { case_number: null, title: '\n' },
        agent: { name: null },
      };
      assert.equal(renderTemplate(`<{{${name}}}>`, blanks).text, `<${fallback}>`, name);
    }
  });

  test('"Hi {{customer.name}}," reads well without a name', () => {
    assert.equal(
      renderTemplate('Hi {{customer.name}},', { customer: { name: null, address: 'a@b.test' } })
        .text,
      'Hi there,',
    );
  });

  test('unknown placeholders stay untouched and are reported once, in order', () => {
    const rendered = renderTemplate('{{foo}} {{customer.name}} {{ bar.baz }} {{foo}}', full);
    assert.deepEqual(rendered, {
      text: '{{foo}} Jane Doe {{ bar.baz }} {{foo}}',
      unknown: ['foo', 'bar.baz'],
      fallbacks: [],
    });
  });

  test('prototype names are unknown, not inherited', () => {
    assert.deepEqual(renderTemplate('{{toString}} {{__proto__}}', full).unknown, [
      'toString',
      '__proto__',
    ]);
  });

  test('single pass: a value that looks like a placeholder is inserted literally', () => {
    const sneaky: TemplateVars = {
      ...full,
      customer: { name: '{{agent.name}}', address: 'x@y.test' },
    };
    assert.equal(renderTemplate('Hi {{customer.name}}', sneaky).text, 'Hi {{agent.name}}');
  });

  test('values collapse to one line; "$&" in values is literal', () => {
    const vars: TemplateVars = {
      customer: { name: ' Jane\r\n  Doe ', address: 'a@b.test' },
      agent: { name: '$& $1' },
    };
    assert.equal(renderTemplate('{{customer.name}}|{{agent.name}}', vars).text, 'Jane Doe|$& $1');
  });

  test('text without placeholders, single braces and unclosed ones pass through', () => {
    const text = 'Plain {text} with {{ unclosed and }} stray';
    assert.deepEqual(renderTemplate(text, full), {
      text,
      unknown: ['unclosed and'],
      fallbacks: [],
    });
    assert.deepEqual(renderTemplate('', full), { text: '', unknown: [], fallbacks: [] });
  });

  test('case numbers given as strings render as is', () => {
    assert.equal(
      renderTemplate('#{{conversation.case_number}}', {
        conversation: { case_number: '0042', title: null },
      }).text,
      '#0042',
    );
  });
});

describe('templateTokens', () => {
  const samples = [
    'Hi Jane,\n\nThanks for writing.  We will refund order #1001 today!\n\n— Drafter\n',
    '您好，我们已经收到您的退款申请。',
    'こんにちは、ご連絡ありがとうございます。',
    'Emoji 👍🏽 and family 👨‍👩‍👧 stay whole',
    '   leading and trailing   ',
    'x',
    'https://acme.test/orders/1001?x=1',
    '\r\nCRLF\r\nlines\r\n',
  ];

  test('chunks join back to exactly the text', () => {
    for (const text of samples)
      assert.equal(templateTokens(text).join(''), text, JSON.stringify(text));
  });

  test('word-ish chunks with the whitespace before them, like model deltas', () => {
    assert.deepEqual(templateTokens('Hi there, Jane!'), ['Hi', ' there', ',', ' Jane', '!']);
    assert.deepEqual(templateTokens('a\n\nb '), ['a', '\n\nb ']);
  });

  test('CJK text is split into several chunks, not one', () => {
    assert.ok(templateTokens('您好，我们已经收到您的退款申请。').length > 3);
  });

  test('no chunk splits a grapheme (emoji with modifiers and joiners)', () => {
    const chunks = templateTokens('Emoji 👍🏽 and family 👨‍👩‍👧 stay whole');
    assert.ok(chunks.includes(' 👍🏽'));
    assert.ok(chunks.includes(' 👨‍👩‍👧'));
  });

  test('empty and whitespace-only texts', () => {
    assert.deepEqual(templateTokens(''), []);
    assert.deepEqual(templateTokens('  \n'), ['  \n']);
  });

  test('every chunk but whitespace-only text has visible content', () => {
    for (const text of samples) {
      for (const chunk of templateTokens(text))
        assert.ok(chunk.trim().length > 0, JSON.stringify(chunk));
    }
  });
});
