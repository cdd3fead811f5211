// Small display helpers shared by the views.
export const STATUS_LABELS = {
  needs_approval: 'Needs approval',
  new: 'New',
  open: 'Open',
  waiting_internal: 'Waiting on us',
  waiting_external: 'Waiting on customer',
  resolved: 'Resolved',
};

export function age(iso) {
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '';
}

export function customerOf(conversation) {
  const customer = conversation.participants?.data?.find((p) => p.type === 'customer');
  const who = customer?.customer ?? customer?.actor;
  return who?.name || who?.address || who?.handle || '';
}

export function actorName(actor) {
  return actor ? actor.name || actor.handle || actor.id : '';
}
