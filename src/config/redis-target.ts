// REDIS_URL names one Redis server, a Redis Cluster or a Sentinel-watched
// primary. It stays one string, so every part that connects passes it on as
// it is and the one place connections are made (queues/redis.ts) decides:
//   redis[s]://[user:pass@]host:port[/db]                       one server
//   redis[s]+cluster://[user:pass@]host:port,host:port,...      a Cluster (its seed nodes)
//   redis[s]+sentinel://[user:pass@]host:port,host:port/<name>[/db]
//                                         the primary <name> that the Sentinels elect
// The password applies to the Redis nodes; a Sentinel that needs its own sets
// it with ?sentinel_password=... (percent-encoded like the userinfo).

interface RedisNode {
  host: string;
  port: number;
}

interface Credentials {
  username?: string;
  password?: string;
  tls: boolean;
}

export type RedisTarget =
  | ({ kind: 'single'; url: string } & Credentials)
  | ({ kind: 'cluster'; nodes: RedisNode[] } & Credentials)
  | ({
      kind: 'sentinel';
      sentinels: RedisNode[];
      name: string;
      db: number;
      sentinelPassword?: string;
    } & Credentials);

const FORMS =
  'redis://host:port, redis+cluster://host:port,host:port,... or redis+sentinel://host:port,.../primary-name';

function parseNodes(list: string, defaultPort: number): RedisNode[] {
  const nodes = list.split(',').map((part): RedisNode => {
    const trimmed = part.trim();
    // [v6]:port, host:port or host
    const match = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(trimmed);
    if (!match?.[1]) throw new Error(`"${trimmed}" is not host:port`);
    const port = match[2] ? Number(match[2]) : defaultPort;
    if (port < 1 || port > 65535) throw new Error(`port ${port} of "${trimmed}" is out of range`);
    return { host: match[1].replace(/^\[|\]$/g, ''), port };
  });
  if (nodes.length === 0) throw new Error('names no host');
  return nodes;
}

/** Parse REDIS_URL; throws an Error whose message says what is wrong (env.ts names the setting). */
export function parseRedisTarget(value: string): RedisTarget {
  const scheme = /^([a-z+]+):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme === 'redis' || scheme === 'rediss') {
    try {
      new URL(value);
    } catch {
      throw new Error(`must be a URL of the form ${FORMS}`);
    }
    return { kind: 'single', url: value, tls: scheme === 'rediss' };
  }
  const kind =
    scheme === 'redis+cluster' || scheme === 'rediss+cluster'
      ? 'cluster'
      : scheme === 'redis+sentinel' || scheme === 'rediss+sentinel'
        ? 'sentinel'
        : null;
  if (!kind || !scheme) throw new Error(`must be a URL of the form ${FORMS}`);
  const tls = scheme.startsWith('rediss');
  const rest = value.slice(scheme.length + 3);
  const [beforeQuery = '', query = ''] = rest.split('?', 2);
  const at = beforeQuery.lastIndexOf('@');
  const userinfo = at >= 0 ? beforeQuery.slice(0, at) : '';
  const afterAuth = at >= 0 ? beforeQuery.slice(at + 1) : beforeQuery;
  const slash = afterAuth.indexOf('/');
  const hosts = slash >= 0 ? afterAuth.slice(0, slash) : afterAuth;
  const path = slash >= 0 ? afterAuth.slice(slash + 1) : '';
  let credentials: Credentials;
  try {
    const colon = userinfo.indexOf(':');
    const user = decodeURIComponent(colon >= 0 ? userinfo.slice(0, colon) : userinfo);
    const pass = colon >= 0 ? decodeURIComponent(userinfo.slice(colon + 1)) : '';
    credentials = { tls, ...(user ? { username: user } : {}), ...(pass ? { password: pass } : {}) };
  } catch {
    throw new Error('has a user or password that is not valid percent-encoding');
  }
  let nodes: RedisNode[];
  try {
    nodes = parseNodes(hosts, kind === 'sentinel' ? 26379 : 6379);
  } catch (error) {
    throw new Error(
      `lists its ${kind === 'cluster' ? 'nodes' : 'sentinels'} wrongly: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (kind === 'cluster') {
    if (path) throw new Error('a Redis Cluster has no databases: remove the path after the hosts');
    return { kind, nodes, ...credentials };
  }
  const [name = '', db = '0'] = path.split('/');
  if (!name) throw new Error('must name the primary after the sentinels, as .../mymaster');
  if (!/^\d+$/.test(db)) throw new Error(`database "${db}" must be a number`);
  const sentinelPassword = new URLSearchParams(query).get('sentinel_password') ?? undefined;
  return {
    kind,
    sentinels: nodes,
    name: decodeURIComponent(name),
    db: Number(db),
    ...credentials,
    ...(sentinelPassword ? { sentinelPassword } : {}),
  };
}

/** A Redis Cluster keeps a multi-key command on one slot only: the prefix must be a hash tag. */
export function isHashTag(prefix: string): boolean {
  return /^\{[^{}]+\}$/.test(prefix);
}
