// runOnRequirements: which spec tests apply to the server under test. A
// standalone embedded store (or whatever MONGODB_URI names) is described by its
// version and topology; a test applies when any one requirement holds.
import type { Document } from 'mongodb';

export interface ServerTarget {
  version: number[];
  topology: 'single' | 'replicaset' | 'sharded';
}

function parseVersion(text: string): number[] {
  return text.split('.').map((part) => Number(part));
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Why one requirement does not hold, or undefined when it does. */
function unmet(req: Document, target: ServerTarget): string | undefined {
  const version = target.version.join('.');
  if (
    typeof req.minServerVersion === 'string' &&
    compareVersions(target.version, parseVersion(req.minServerVersion)) < 0
  )
    return `needs server >= ${req.minServerVersion} (server is ${version})`;
  if (
    typeof req.maxServerVersion === 'string' &&
    compareVersions(target.version, parseVersion(req.maxServerVersion)) > 0
  )
    return `needs server <= ${req.maxServerVersion} (server is ${version})`;
  if (Array.isArray(req.topologies) && !req.topologies.includes(target.topology)) {
    // A sharded-replicaset requirement also admits nothing standalone.
    return `needs topology ${req.topologies.join('/')} (server is ${target.topology})`;
  }
  if (req.serverless === 'require') return 'needs Atlas serverless';
  if (req.auth === true) return 'needs authentication';
  if (req.csfle === true) return 'needs client-side field level encryption';
  if (req.serverParameters !== undefined) return 'needs specific server parameters';
  if (req.authMechanism !== undefined) return `needs auth mechanism ${String(req.authMechanism)}`;
  return undefined;
}

/** Why none of `requirements` holds for the target, or undefined when one does (or there are none). */
export function unmetRequirements(requirements: unknown, target: ServerTarget): string | undefined {
  if (!Array.isArray(requirements) || requirements.length === 0) return undefined;
  const reasons: string[] = [];
  for (const req of requirements as Document[]) {
    const reason = unmet(req, target);
    if (reason === undefined) return undefined;
    reasons.push(reason);
  }
  return `not applicable: ${[...new Set(reasons)].join('; or ')}`;
}
