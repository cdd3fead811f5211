// The mail parsing layer's public surface. Callers outside src/mail/ import
// from here and see plain types only; mailparser stays behind this folder.
export { parseEmail } from './parse-email.ts';
export { classifyNoise } from './noise.ts';
/** @public The noise classifier's input and verdict. */
export type { NoiseInput, NoiseVerdict } from './noise.ts';
export { extractReplyToken } from './reply-tokens.ts';
export { normalizeSubject } from './subject.ts';
export {
  legacySyntheticMessageId,
  significantHash,
  syntheticMessageId,
} from './significant-hash.ts';
export type { HashInput } from './significant-hash.ts';
export { extractNewText } from './text-new.ts';
/** @public The record shapes, for callers that map them onward. */
export type {
  AttachmentKind,
  AttachmentMeta,
  AttachmentSink,
  AutoSubmittedReason,
  BounceInfo,
  EmailAddress,
  ParsedAttachment,
  ParsedEmail,
  ParseEmailOptions,
  ReplyTokens,
  StoredAttachment,
} from './types.ts';
