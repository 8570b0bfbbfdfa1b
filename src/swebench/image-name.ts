// Image names: telling fully qualified ones from short ones, SWE-bench's naming, and fixed-image names.

/** A registry host ("docker.io", "host:5000") or "localhost" as the first component makes a name fully qualified. */
export function isFullyQualified(name: string): boolean {
  const slash = name.indexOf('/');
  if (slash < 0) return false;
  const first = name.slice(0, slash);
  return first === 'localhost' || first.includes('.') || first.includes(':');
}

function hasTagOrDigest(name: string): boolean {
  return name.includes('@') || name.slice(name.lastIndexOf('/') + 1).includes(':');
}

/** Docker Hub's reading of a short name: docker.io, library/ for one-component names, :latest. */
export function dockerHubName(short: string): string {
  const path = short.includes('/') ? short : `library/${short}`;
  return `docker.io/${path}${hasTagOrDigest(short) ? '' : ':latest'}`;
}

/**
 * The local image a short name matched, named by the tag that ends with the short name (podman's lookup
 * may have matched localhost/NAME or a registry's NAME); the first tag otherwise.
 */
export function pickLocalName(short: string, repoTags: string[]): string | undefined {
  const wanted = hasTagOrDigest(short) ? short : `${short}:latest`;
  return repoTags.find((tag) => tag.endsWith(`/${wanted}`)) ?? repoTags[0];
}

/** The image SWE-bench's harness builds for an instance: swebench/sweb.eval.x86_64.<id, "__" → "_1776_">. */
export function swebenchImageFor(instanceId: string): string {
  return `docker.io/swebench/sweb.eval.x86_64.${instanceId.toLowerCase().replace(/__/g, '_1776_')}:latest`;
}

/** localhost/agentpod-fixed/<source as one lower-case path component>:<uid>-<gid>. */
export function fixedImageName(source: string, uid: number, gid: number): string {
  const component = source.replace(/^localhost\//, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 200);
  return `localhost/agentpod-fixed/${component}:${uid}-${gid}`;
}

/** A short readable label for an image: its last path component without the tag. */
export function imageBaseName(image: string): string {
  return image.slice(image.lastIndexOf('/') + 1).replace(/[:@].*$/, '');
}
