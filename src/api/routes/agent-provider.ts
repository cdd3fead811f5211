// The model key of an agent made through the API, decided at create/patch.
// Either a credential the operator granted the account (sent only to that
// credential's base_url) or the agent's own key, sealed at rest, whose
// base_url the tenant chose and is therefore resolved and checked against
// the outbound rules now (and again at every connection). Never a
// process-wide key: an openai agent with neither is refused.
import type { Bootstrap } from '../../config/bootstrap-schema.ts';
import { DEFAULT_OPENAI_BASE_URL, normalizeBaseUrl, sameBaseUrl } from '../../config/model-urls.ts';
import {
  OutboundRefusedError,
  OutboundUnresolvableError,
  type AddressGuard,
} from '../../platform/outbound-guard.ts';
import type { SecretBox } from '../../platform/secret-box.ts';
import type { AgentProvider } from '../../store/index.ts';
import { ApiError } from '../errors.ts';
import type { ProviderBody } from './agent-json.ts';

export interface ProviderKeyDeps {
  bootstrap: Bootstrap;
  outbound: AddressGuard;
  secrets: SecretBox;
}

export interface ProviderKeyFields {
  /** The stored base_url: null when a credential decides it. */
  base_url: string | null;
  credential: string | null;
  api_key_sealed: string | null;
}

const NONE: ProviderKeyFields = { base_url: null, credential: null, api_key_sealed: null };

/**
 * What to store for `given` (a create or patch body's provider) on agent
 * `agentId`; `previous` is the stored provider on a patch. A patch that
 * names neither a key nor a credential keeps the stored one, a stored key
 * only while base_url stays the URL it was given with.
 */
export async function providerKeyFields(
  deps: ProviderKeyDeps,
  accountId: string,
  agentId: string,
  given: ProviderBody,
  previous: AgentProvider | null,
): Promise<ProviderKeyFields> {
  if (given.type !== 'openai') return NONE;
  const granted =
    deps.bootstrap.accounts.find((a) => a.id === accountId)?.provider_credentials ?? [];
  if (given.api_key !== undefined && given.credential !== undefined) {
    throw unprocessable(
      'provider_key_conflict',
      "body.provider: give either api_key (the agent's own key) or credential (a key the operator granted this account), not both",
    );
  }
  const before = previous?.type === 'openai' ? previous : null;
  let credentialName = given.credential;
  let sealed: string | null = null;
  if (given.api_key === undefined && credentialName === undefined) {
    if (before?.credential) {
      credentialName = before.credential;
    } else if (before?.api_key_sealed) {
      const was = before.base_url ?? DEFAULT_OPENAI_BASE_URL;
      if (!sameBaseUrl(given.base_url ?? DEFAULT_OPENAI_BASE_URL, was)) {
        throw unprocessable(
          'provider_key_required',
          `body.provider.api_key: the stored key is only sent to the base_url it was given with (${normalizeBaseUrl(was)}): send the key again to use another base_url`,
        );
      }
      sealed = before.api_key_sealed;
    } else {
      const names = granted.map((c) => `"${c.name}"`).join(', ');
      throw unprocessable(
        'provider_key_required',
        `body.provider: an openai agent needs api_key (its own key) or credential (a key the operator granted this account${names ? `: ${names}` : '; none is granted'}); the operator's OPENAI_API_KEY is never used for agents made through the API`,
      );
    }
  }

  if (credentialName !== undefined) {
    const credential = granted.find((c) => c.name === credentialName);
    if (!credential) {
      throw unprocessable(
        'unknown_credential',
        `body.provider.credential: no credential "${credentialName}" is granted to this account (the operator grants them in POSTROOM_CONFIG, accounts[].provider_credentials)`,
      );
    }
    if (given.base_url !== undefined && !sameBaseUrl(given.base_url, credential.base_url)) {
      throw unprocessable(
        'credential_url_mismatch',
        `body.provider.base_url: credential "${credential.name}" is only sent to its own base_url ${normalizeBaseUrl(credential.base_url)}: leave base_url out, or give that one`,
      );
    }
    return { base_url: null, credential: credential.name, api_key_sealed: null };
  }

  const baseUrl = given.base_url ?? null;
  await checkDestination(deps.outbound, baseUrl ?? DEFAULT_OPENAI_BASE_URL);
  return {
    base_url: baseUrl,
    credential: null,
    // Bound to this agent: copied onto another agent's document it does not open.
    api_key_sealed:
      given.api_key !== undefined ? deps.secrets.seal(given.api_key, agentId) : sealed,
  };
}

/** A URL the tenant chose must resolve, and only to addresses the outbound rules allow. */
async function checkDestination(guard: AddressGuard, url: string): Promise<void> {
  try {
    await guard.checkUrl(url);
  } catch (error) {
    if (error instanceof OutboundRefusedError || error instanceof OutboundUnresolvableError) {
      throw unprocessable(error.code, `body.provider.base_url: ${error.message}`);
    }
    throw error;
  }
}

function unprocessable(code: string, message: string): ApiError {
  return new ApiError('unprocessable', code, message);
}
