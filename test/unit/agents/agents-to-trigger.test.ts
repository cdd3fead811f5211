import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  agentsToTrigger,
  type AuthorType,
  type TriggerMessage,
} from '../../../src/agents/rules/triggers.ts';
import { MESSAGE_KINDS, TRIGGER_POLICIES } from '../../../src/store/records/enums.ts';
import type { MessageKind, TriggerPolicy } from '../../../src/store/records/enums.ts';
import { agent, agentParticipant, customerParticipant } from './fixtures.ts';

const customerMail: TriggerMessage = {
  kind: 'email',
  status: 'sent',
  visibility: 'external',
  auto_submitted: false,
  author_type: 'customer',
  author_id: null,
  sender_id: null,
};
const internalNote: TriggerMessage = {
  ...customerMail,
  kind: 'chat',
  visibility: 'internal',
  author_type: 'user',
  author_id: 'usr_1',
};

// A text that satisfies every policy: it mentions the agent and has its keyword.
const TEXT = '@drafter can we refund this?';

function setup(policy: TriggerPolicy) {
  const drafter = agent({ trigger_policy: policy, trigger_keywords: ['refund'] });
  return {
    agents: [drafter],
    participants: [customerParticipant(), agentParticipant(drafter._id)],
  };
}

const NOT_HUMAN: [string, TriggerMessage][] = [
  ...MESSAGE_KINDS.filter(
    (k): k is Exclude<MessageKind, 'email' | 'chat'> => k !== 'email' && k !== 'chat',
  ).map((kind): [string, TriggerMessage] => [
    kind,
    { ...customerMail, kind, author_type: 'system' as AuthorType },
  ]),
  ['an agent-authored chat', { ...internalNote, author_type: 'agent', author_id: 'agt_other' }],
  ['an auto-reply', { ...customerMail, auto_submitted: true }],
  [
    'a bounce from a teammate address',
    { ...customerMail, auto_submitted: true, author_type: 'user' },
  ],
  ['a draft', { ...internalNote, status: 'draft' }],
  ['mail from one of our own addresses', { ...customerMail, from_self: true }],
];

describe('agentsToTrigger: every policy × human and non-human messages', () => {
  for (const policy of TRIGGER_POLICIES) {
    for (const [label, message] of [
      ['a customer email', customerMail],
      ['a teammate internal note', internalNote],
      ['a teammate external chat', { ...internalNote, visibility: 'external' }],
      ['a customer chat', { ...internalNote, author_type: 'customer', author_id: null }],
    ] as [string, TriggerMessage][]) {
      test(`${policy}: ${label} that matches → triggers`, () => {
        const triggers = agentsToTrigger({ message, text: TEXT, ...setup(policy) });
        assert.equal(triggers.length, 1);
        assert.equal(triggers[0]?.agent_id, 'agt_acme_drafter');
        assert.equal(triggers[0]?.participant_id, 'par_agt_acme_drafter');
        assert.equal(triggers[0]?.policy, policy);
      });
    }
    for (const [label, message] of NOT_HUMAN) {
      test(`${policy}: ${label} → never triggers`, () => {
        assert.deepEqual(agentsToTrigger({ message, text: TEXT, ...setup(policy) }), []);
      });
    }
  }
});

describe('agentsToTrigger: policies', () => {
  test('mention: only when mentioned by handle or name', () => {
    const input = { message: customerMail, ...setup('mention') };
    assert.deepEqual(agentsToTrigger({ ...input, text: 'Hi @Drafter!' }), [
      {
        agent_id: 'agt_acme_drafter',
        participant_id: 'par_agt_acme_drafter',
        policy: 'mention',
        reason: 'mentioned',
      },
    ]);
    assert.deepEqual(agentsToTrigger({ ...input, text: 'I want a refund' }), []);
    assert.deepEqual(agentsToTrigger({ ...input, text: 'mail drafter@acme.test' }), []);
    assert.deepEqual(agentsToTrigger({ ...input, text: null }), []);
  });

  test('keyword: only on a whole-word keyword, reason names it', () => {
    const input = { message: customerMail, ...setup('keyword') };
    assert.equal(
      agentsToTrigger({ ...input, text: 'A REFUND please' })[0]?.reason,
      'keyword "refund"',
    );
    assert.deepEqual(agentsToTrigger({ ...input, text: 'refunds are slow' }), []);
    assert.deepEqual(agentsToTrigger({ ...input, text: '@drafter hello' }), []);
  });

  test('always: any human message, even with no text', () => {
    const input = { message: internalNote, ...setup('always') };
    assert.equal(agentsToTrigger({ ...input, text: '' })[0]?.reason, 'always');
    assert.equal(agentsToTrigger({ ...input, text: null }).length, 1);
  });

  test("the participant's policy overrides the agent's default", () => {
    const drafter = agent({ trigger_policy: 'always' });
    const participants = [agentParticipant(drafter._id, { agent_trigger_policy: 'mention' })];
    assert.deepEqual(
      agentsToTrigger({ message: customerMail, text: 'hello', participants, agents: [drafter] }),
      [],
    );
    assert.equal(
      agentsToTrigger({
        message: customerMail,
        text: 'hello @drafter',
        participants,
        agents: [drafter],
      }).length,
      1,
    );
  });

  test("participant keywords override the agent's; an empty list falls back to them", () => {
    const drafter = agent({ trigger_policy: 'keyword', trigger_keywords: ['refund'] });
    const own = [
      agentParticipant(drafter._id, {
        agent_trigger_policy: 'keyword',
        agent_trigger_keywords: [' Invoice '],
      }),
    ];
    assert.equal(
      agentsToTrigger({
        message: customerMail,
        text: 'invoice missing',
        participants: own,
        agents: [drafter],
      })[0]?.reason,
      'keyword "Invoice"',
    );
    assert.deepEqual(
      agentsToTrigger({
        message: customerMail,
        text: 'refund',
        participants: own,
        agents: [drafter],
      }),
      [],
    );
    const empty = [
      agentParticipant(drafter._id, {
        agent_trigger_policy: 'keyword',
        agent_trigger_keywords: ['  '],
      }),
    ];
    assert.equal(
      agentsToTrigger({
        message: customerMail,
        text: 'refund',
        participants: empty,
        agents: [drafter],
      }).length,
      1,
    );
  });
});

describe('agentsToTrigger: who is eligible', () => {
  test('only active memberships of active agents', () => {
    const drafter = agent();
    for (const membership of ['left', 'removed', 'hidden'] as const) {
      const participants = [agentParticipant(drafter._id, { membership })];
      assert.deepEqual(
        agentsToTrigger({ message: customerMail, text: 'x', participants, agents: [drafter] }),
        [],
        membership,
      );
    }
    const disabled = agent({ status: 'disabled' });
    assert.deepEqual(
      agentsToTrigger({
        message: customerMail,
        text: 'x',
        participants: [agentParticipant(disabled._id)],
        agents: [disabled],
      }),
      [],
    );
  });

  test('participants that are not agents, or agents we do not know, are skipped', () => {
    const drafter = agent();
    const participants = [
      customerParticipant(),
      { ...agentParticipant('usr_1'), type: 'user' as const },
      agentParticipant('agt_unknown'),
      agentParticipant(drafter._id, { actor_id: null }),
    ];
    assert.deepEqual(
      agentsToTrigger({ message: customerMail, text: 'x', participants, agents: [drafter] }),
      [],
    );
  });

  test('several agents: each decides by its own policy, in participant order', () => {
    const always = agent({ _id: 'agt_a', handle: 'a', name: 'A', trigger_policy: 'always' });
    const mention = agent({ _id: 'agt_m', handle: 'm', name: 'M', trigger_policy: 'mention' });
    const keyword = agent({
      _id: 'agt_k',
      handle: 'k',
      name: 'K',
      trigger_policy: 'keyword',
      trigger_keywords: ['cancel'],
    });
    const participants = [
      agentParticipant('agt_k'),
      agentParticipant('agt_m'),
      agentParticipant('agt_a'),
    ];
    const agents = [always, mention, keyword];
    const ids = (text: string) =>
      agentsToTrigger({ message: customerMail, text, participants, agents }).map((t) => t.agent_id);
    assert.deepEqual(ids('hello'), ['agt_a']);
    assert.deepEqual(ids('@m please cancel'), ['agt_k', 'agt_m', 'agt_a']);
  });

  test('an agent listed twice triggers once', () => {
    const drafter = agent();
    const participants = [
      agentParticipant(drafter._id),
      agentParticipant(drafter._id, { _id: 'par_dup' }),
    ];
    assert.equal(
      agentsToTrigger({ message: customerMail, text: 'x', participants, agents: [drafter] }).length,
      1,
    );
  });

  test('never the agent that authored or sent the message', () => {
    const drafter = agent();
    const participants = [agentParticipant(drafter._id)];
    // Even if a caller resolves an agent-written message as a user's (e.g. a persona mix-up).
    for (const message of [
      { ...internalNote, author_id: drafter._id },
      { ...internalNote, sender_id: drafter._id },
    ]) {
      assert.deepEqual(
        agentsToTrigger({ message, text: '@drafter', participants, agents: [drafter] }),
        [],
      );
    }
  });
});

describe('agentsToTrigger: a muted agent participant', () => {
  for (const policy of TRIGGER_POLICIES) {
    test(`${policy}: only a mention pierces the mute`, () => {
      const drafter = agent({ trigger_policy: policy, trigger_keywords: ['refund'] });
      const muted = { ...agentParticipant(drafter._id), notifications: 'muted' as const };
      const input = { message: customerMail, agents: [drafter], participants: [muted] };
      assert.deepEqual(
        agentsToTrigger({ ...input, text: 'can we refund this?' }),
        [],
        'a keyword or "always" does not wake it',
      );
      const [mentioned] = agentsToTrigger({ ...input, text: '@drafter can we refund this?' });
      assert.equal(mentioned?.reason, 'mentioned');
    });
  }
});
