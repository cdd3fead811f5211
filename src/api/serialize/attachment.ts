import type { AttachmentKind } from '../../conversations/enums.ts';
import type { AttachmentRecord } from '../../store/records/message.ts';
import { isoDate } from './common.ts';

export interface AttachmentJson {
  id: string;
  object: 'message_attachment';
  kind: AttachmentKind;
  filename: string | null;
  content_type: string | null;
  size_bytes: number | null;
  url: string | null;
  /** The seed: "Always returned as null in this endpoint". */
  resource: null;
  created_at: string;
  // Extras beyond the seed, for rendering inline images (cid: references in html):
  content_id: string | null;
  inline: boolean;
}

/** Where an uploaded attachment's content is streamed from (relative to the API root). */
function attachmentUrl(attachmentId: string): string {
  return `/v1/messaging/attachments/${encodeURIComponent(attachmentId)}`;
}

/**
 * Attachments are embedded in their message and share its creation time. The
 * seed promises a "time-limited download URL": the API signs this path for the
 * caller's account on the way out (api/signed-urls.ts); serializers stay pure.
 */
export function serializeAttachment(attachment: AttachmentRecord, createdAt: Date): AttachmentJson {
  const uploaded = attachment.kind === 'file' || attachment.kind === 'image';
  // An uploaded attachment without its file (redacted) has no URL: the seed's null.
  const url = uploaded
    ? attachment.gridfs_id
      ? attachmentUrl(attachment._id)
      : null
    : attachment.kind === 'link'
      ? attachment.url
      : null;
  return {
    id: attachment._id,
    object: 'message_attachment',
    kind: attachment.kind,
    filename: uploaded ? attachment.filename : null,
    content_type: uploaded ? attachment.content_type : null,
    size_bytes: uploaded ? attachment.size_bytes : null,
    url,
    resource: null,
    created_at: isoDate(createdAt),
    content_id: attachment.content_id,
    inline: attachment.inline,
  };
}
