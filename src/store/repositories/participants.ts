// Conversation membership changes. Participants are embedded in the
// conversation, so each change is one conditional single-document update: two
// concurrent "add this agent" calls cannot both push it.
import { newId } from '../ids.ts';
import type { Models } from '../models/index.ts';
import type { ConversationRecord, ParticipantRecord } from '../records/conversation.ts';
import type { ParticipantRole, TriggerPolicy } from '../../conversations/enums.ts';

/** A teammate or an agent to add (customers join through inbound mail, not here). */
export interface ParticipantSpec {
  type: 'user' | 'agent';
  actor_id: string;
  role: ParticipantRole;
  /** Agents only (null for users). */
  agent_trigger_policy: TriggerPolicy | null;
  agent_trigger_keywords: string[];
}

export type AddParticipantResult =
  | { outcome: 'added' | 'reactivated'; conversation: ConversationRecord; participant_id: string }
  | { outcome: 'already_participant'; participant_id: string }
  | { outcome: 'not_found' };

/** What a member's settings may change to (membership: leave or hide/unhide). */
export type ParticipantChanges = Partial<
  Pick<
    ParticipantRecord,
    'role' | 'notifications' | 'membership' | 'agent_trigger_policy' | 'agent_trigger_keywords'
  >
>;

export type UpdateParticipantResult =
  | { outcome: 'updated'; conversation: ConversationRecord }
  | { outcome: 'not_member'; membership: ParticipantRecord['membership'] }
  | { outcome: 'participant_not_found' }
  | { outcome: 'not_found' };

export type RemoveParticipantResult =
  | { outcome: 'removed' | 'already_removed'; conversation: ConversationRecord }
  | { outcome: 'not_removable'; type: ParticipantRecord['type'] }
  | { outcome: 'participant_not_found' }
  | { outcome: 'not_found' };

// Still members: `hidden` only hides the conversation from the member's own list.
const MEMBER = ['active', 'hidden'] as const;
const GONE = ['left', 'removed'] as const;
// Customers and the system participant belong to the case itself.
const REMOVABLE = ['user', 'agent'] as const;
// Each round of the add has a winner; a handful of rounds only runs out when
// the same member is added and removed in a tight loop by several callers.
const MAX_ADD_ROUNDS = 5;

export function createParticipantsRepository({ Conversation }: Models) {
  const scope = (accountId: string, conversationId: string) => ({
    _id: conversationId,
    account_id: accountId,
  });

  /** A conditional participant update found nothing: the case, or the participant, as it is now. */
  async function whyMissed(
    accountId: string,
    conversationId: string,
    participantId: string,
  ): Promise<
    | { outcome: 'not_found' | 'participant_not_found' }
    | { current: ConversationRecord; participant: ParticipantRecord }
  > {
    const current = await Conversation.findOne(scope(accountId, conversationId))
      .lean<ConversationRecord>()
      .exec();
    if (!current) return { outcome: 'not_found' };
    const participant = current.participants.find((p) => p._id === participantId);
    if (!participant) return { outcome: 'participant_not_found' };
    return { current, participant };
  }

  return {
    /**
     * Add a member, or bring back one who left or was removed (with the new
     * role and trigger policy). A member already there is left untouched.
     */
    async add(
      accountId: string,
      conversationId: string,
      spec: ParticipantSpec,
      now: Date = new Date(),
    ): Promise<AddParticipantResult> {
      const same = { type: spec.type, actor_id: spec.actor_id };
      for (let round = 0; round < MAX_ADD_ROUNDS; round++) {
        const participantId = newId('par');
        const pushed = await Conversation.findOneAndUpdate(
          { ...scope(accountId, conversationId), participants: { $not: { $elemMatch: same } } },
          {
            $push: {
              participants: {
                _id: participantId,
                ...spec,
                membership: 'active',
                notifications: 'unmuted',
                customer: null,
                joined_at: now,
              },
            },
          },
          { returnDocument: 'after' },
        )
          .lean<ConversationRecord>()
          .exec();
        if (pushed)
          return { outcome: 'added', conversation: pushed, participant_id: participantId };

        const reactivated = await Conversation.findOneAndUpdate(
          {
            ...scope(accountId, conversationId),
            participants: { $elemMatch: { ...same, membership: { $in: [...GONE] } } },
          },
          {
            $set: {
              'participants.$.membership': 'active',
              'participants.$.role': spec.role,
              'participants.$.agent_trigger_policy': spec.agent_trigger_policy,
              'participants.$.agent_trigger_keywords': spec.agent_trigger_keywords,
              'participants.$.joined_at': now,
            },
          },
          { returnDocument: 'after' },
        )
          .lean<ConversationRecord>()
          .exec();
        if (reactivated) {
          const participant = findMember(reactivated, spec);
          return {
            outcome: 'reactivated',
            conversation: reactivated,
            participant_id: participant?._id ?? '',
          };
        }

        const current = await Conversation.findOne(scope(accountId, conversationId))
          .lean<ConversationRecord>()
          .exec();
        if (!current) return { outcome: 'not_found' };
        const existing = findMember(current, spec);
        if (existing && (MEMBER as readonly string[]).includes(existing.membership)) {
          return { outcome: 'already_participant', participant_id: existing._id };
        }
        // The member was removed or pushed between our updates: decide again.
      }
      throw new Error(`participant ${spec.actor_id} kept changing while being added`);
    },

    /**
     * Change a current member's settings in one positional update; a member
     * who left or was removed is not changed (they rejoin through add).
     */
    async update(
      accountId: string,
      conversationId: string,
      participantId: string,
      changes: ParticipantChanges,
    ): Promise<UpdateParticipantResult> {
      const set: Record<string, unknown> = {};
      for (const [field, value] of Object.entries(changes)) {
        if (value !== undefined) set[`participants.$.${field}`] = value;
      }
      const updated = await Conversation.findOneAndUpdate(
        {
          ...scope(accountId, conversationId),
          participants: { $elemMatch: { _id: participantId, membership: { $in: [...MEMBER] } } },
        },
        { $set: set },
        { returnDocument: 'after' },
      )
        .lean<ConversationRecord>()
        .exec();
      if (updated) return { outcome: 'updated', conversation: updated };
      const missed = await whyMissed(accountId, conversationId, participantId);
      if ('outcome' in missed) return missed;
      return { outcome: 'not_member', membership: missed.participant.membership };
    },

    /** Mark a user or agent member `removed`; repeating it answers `already_removed`. */
    async remove(
      accountId: string,
      conversationId: string,
      participantId: string,
    ): Promise<RemoveParticipantResult> {
      const removed = await Conversation.findOneAndUpdate(
        {
          ...scope(accountId, conversationId),
          participants: {
            $elemMatch: {
              _id: participantId,
              type: { $in: [...REMOVABLE] },
              membership: { $in: [...MEMBER] },
            },
          },
        },
        { $set: { 'participants.$.membership': 'removed' } },
        { returnDocument: 'after' },
      )
        .lean<ConversationRecord>()
        .exec();
      if (removed) return { outcome: 'removed', conversation: removed };

      const missed = await whyMissed(accountId, conversationId, participantId);
      if ('outcome' in missed) return missed;
      const { current, participant } = missed;
      if (!(REMOVABLE as readonly string[]).includes(participant.type)) {
        return { outcome: 'not_removable', type: participant.type };
      }
      return { outcome: 'already_removed', conversation: current };
    },
  };
}

function findMember(
  conversation: ConversationRecord,
  spec: Pick<ParticipantSpec, 'type' | 'actor_id'>,
): ParticipantRecord | undefined {
  return conversation.participants.find(
    (p) => p.type === spec.type && p.actor_id === spec.actor_id,
  );
}
