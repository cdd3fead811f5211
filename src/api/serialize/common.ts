// Shared pieces of the seed JSON: dates, lists with page_info, entities.
import type { EntityRef } from '../../store/records/conversation.ts';
import type { EntityType } from '../../conversations/enums.ts';

/** Every date in the API: ISO 8601 in UTC with milliseconds (`2024-05-01T12:00:00.000Z`). */
export function isoDate(date: Date): string;
export function isoDate(date: Date | null | undefined): string | null;
export function isoDate(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}

export interface PageInfo {
  next_page_url: string | null;
  previous_page_url: string | null;
  has_next_page: boolean;
  has_prev_page: boolean;
}

export interface ListJson<T> {
  object: 'list';
  page_info: PageInfo;
  data: T[];
}

/** page_info of a list delivered whole (embedded lists: participants, attachments). */
const SINGLE_PAGE: Readonly<PageInfo> = Object.freeze({
  next_page_url: null,
  previous_page_url: null,
  has_next_page: false,
  has_prev_page: false,
});

export function list<T>(data: T[], pageInfo: PageInfo = SINGLE_PAGE): ListJson<T> {
  return { object: 'list', page_info: { ...pageInfo }, data };
}

/**
 * page_info from a store Page and the URL of the list (path + query without
 * cursor params): the cursors become `after=` / `before=` parameters.
 */
export function pageInfoFor(
  page: {
    has_next: boolean;
    has_prev: boolean;
    next_cursor: string | null;
    prev_cursor: string | null;
  },
  listUrl: string,
): PageInfo {
  const withParam = (name: string, cursor: string | null) => {
    if (!cursor) return null;
    const join = listUrl.includes('?') ? '&' : '?';
    return `${listUrl}${join}${name}=${encodeURIComponent(cursor)}`;
  };
  return {
    next_page_url: page.has_next ? withParam('after', page.next_cursor) : null,
    previous_page_url: page.has_prev ? withParam('before', page.prev_cursor) : null,
    has_next_page: page.has_next,
    has_prev_page: page.has_prev,
  };
}

export interface EntityJson {
  id: string;
  object: 'entity';
  type: EntityType;
  name: string | null;
  handle: string | null;
}

export function serializeEntity(entity: EntityRef | null): EntityJson | null {
  if (!entity) return null;
  return {
    id: entity.id,
    object: 'entity',
    type: entity.type,
    name: entity.name,
    handle: entity.handle,
  };
}
