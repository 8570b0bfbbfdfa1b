// Finding the image a trial starts from: local lookup, short-name resolution (said out loud), pull.
import { ensureImage } from '../podman/image.js';
import { podmanJson, PodmanError } from '../podman/client.js';
import { dockerHubName, isFullyQualified, pickLocalName } from './image-name.js';

export interface ImageInspect {
  Id: string;
  RepoTags: string[] | null;
  Created: string;
  Size: number;
  Config: { User?: string; Cmd?: string[] | null; Labels?: Record<string, string> | null };
}

/** podman image inspect of one image, or undefined when there is no such image. */
export async function inspectImage(name: string): Promise<ImageInspect | undefined> {
  try {
    const [info] = await podmanJson<ImageInspect[]>(['image', 'inspect', name]);
    return info;
  } catch (e) {
    if (e instanceof PodmanError && /image not known|no such image|failed to find image/i.test(e.stderr)) return undefined;
    throw e;
  }
}

export interface SourceImage {
  /** The fully qualified name it resolved to. */
  name: string;
  id: string;
  /** The image's CMD (a fix keeps it). */
  cmd: string[];
}

/**
 * A fully qualified name is used as it is; a short one is looked up locally, else read as a Docker Hub name
 * (SWE-bench's images live there). Either way the resolution is logged. Missing images are pulled.
 */
export async function resolveSourceImage(given: string, log: (line: string) => void): Promise<SourceImage> {
  let name = given;
  if (!isFullyQualified(given)) {
    const local = await inspectImage(given);
    const localName = local ? pickLocalName(given, local.RepoTags ?? []) : undefined;
    if (local && localName) {
      log(`image ${given} resolved to ${localName} (local)`);
      return { name: localName, id: local.Id, cmd: local.Config.Cmd ?? [] };
    }
    name = dockerHubName(given);
    log(`image ${given} resolved to ${name}`);
  }
  let info = await inspectImage(name);
  if (!info) {
    await ensureImage(name, log);
    info = await inspectImage(name);
    if (!info) throw new Error(`image ${name} was pulled but podman does not find it`);
  }
  return { name, id: info.Id, cmd: info.Config.Cmd ?? [] };
}
