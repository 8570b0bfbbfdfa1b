// Image references podman accepts, checked before anything runs (podman's own error comes only after the run's
// row and folder exist, and for some mistakes only after a pull attempt). Pure. The grammar is the one of
// github.com/distribution/reference that podman uses: [domain[:port]/]path[:tag][@digest], path components in
// lowercase, or an image id (64 hex digits, or a prefix of one).
import { ConfigError } from '../errors.js';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:localhost|(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;
const IMAGE_ID = /^(?:sha256:)?[0-9a-f]{12,64}$/;
const MAX_NAME = 255;

/** Why podman would refuse `ref`, or null when it is a well-formed reference. */
export function imageReferenceProblem(ref: string): string | null {
  if (ref === '') return 'it is empty';
  if (/\s/.test(ref)) return 'it contains white space';
  if (IMAGE_ID.test(ref)) return null;
  let rest = ref.startsWith('docker://') ? ref.slice('docker://'.length) : ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) [rest, digest] = [rest.slice(0, at), rest.slice(at + 1)];
  if (digest !== undefined && !DIGEST.test(digest)) return `"${digest}" is not a digest (algorithm:hex, e.g. sha256:…)`;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  let tag: string | undefined;
  if (colon > slash) [rest, tag] = [rest.slice(0, colon), rest.slice(colon + 1)];
  if (tag !== undefined && !TAG.test(tag)) return `"${tag}" is not a tag (letters, digits, _ . -, at most 128, not starting with . or -)`;
  const parts = rest.split('/');
  // The first part is a registry when it looks like a host (a dot, a port or localhost) and more parts follow.
  if (parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost' || parts[0] !== parts[0].toLowerCase())) {
    const domain = parts.shift()!;
    if (!DOMAIN.test(domain)) return `"${domain}" is not a registry host[:port]`;
  }
  if (rest.length > MAX_NAME) return `the name is longer than ${MAX_NAME} characters`;
  for (const part of parts) {
    if (part !== part.toLowerCase() && COMPONENT.test(part.toLowerCase())) return `"${part}": repository names must be lowercase`;
    if (!COMPONENT.test(part)) return `"${part}" is not a repository name component (lowercase letters, digits, separated by . _ __ or -)`;
  }
  return null;
}

/** Throws a ConfigError (exit 2) naming `flag` when podman would refuse the reference. */
export function assertImageReference(ref: string, flag: string): void {
  const problem = imageReferenceProblem(ref);
  if (problem) throw new ConfigError(`${flag} ${JSON.stringify(ref)} is not an image reference podman accepts: ${problem}`);
}
