// The fixed images in podman's store, whether each still matches its source, and pruning the ones that don't.
import { podman, podmanJson } from '../podman/client.js';
import { FIX_LABELS } from './fix.js';
import { inspectImage } from './source-image.js';

export type FixedImageState = 'current' | 'stale' | 'source gone' | 'untagged';

export interface FixedImage {
  id: string;
  /** Its tag; null once a newer fix took the tag over. */
  name: string | null;
  source: string;
  sourceId: string;
  uidGid: string;
  createdAt: number;
  sizeBytes: number;
  state: FixedImageState;
}

interface ImagesEntry {
  Id: string;
  Names?: string[] | null;
  Labels: Record<string, string> | null;
  Created: number;
  Size: number;
}

/** current: the source's name still points at the image it was made from. */
export function fixedImageState(tagged: boolean, madeFromId: string, sourceIdNow: string | undefined): FixedImageState {
  if (!tagged) return 'untagged';
  if (sourceIdNow === undefined) return 'source gone';
  return sourceIdNow === madeFromId ? 'current' : 'stale';
}

export async function listFixedImages(): Promise<FixedImage[]> {
  const entries = await podmanJson<ImagesEntry[]>(['images', '--format', 'json', '--filter', `label=${FIX_LABELS.sourceImageId}`]);
  const sourceIds = new Map<string, string | undefined>();
  const images: FixedImage[] = [];
  for (const e of entries) {
    const labels = e.Labels ?? {};
    const source = labels[FIX_LABELS.sourceImage] ?? '';
    if (!sourceIds.has(source)) sourceIds.set(source, (await inspectImage(source))?.Id);
    const name = e.Names?.[0] ?? null;
    images.push({
      id: e.Id,
      name,
      source,
      sourceId: labels[FIX_LABELS.sourceImageId],
      uidGid: labels[FIX_LABELS.uidGid] ?? '',
      createdAt: e.Created * 1000,
      sizeBytes: e.Size,
      state: fixedImageState(name !== null, labels[FIX_LABELS.sourceImageId], sourceIds.get(source)),
    });
  }
  return images;
}

/** Removes the images given; one in use by a container is kept and reported, not forced. */
export async function removeImages(images: FixedImage[]): Promise<{ removed: FixedImage[]; kept: { image: FixedImage; reason: string }[] }> {
  const removed: FixedImage[] = [];
  const kept: { image: FixedImage; reason: string }[] = [];
  for (const image of images) {
    try {
      await podman(['rmi', image.name ?? image.id]);
      removed.push(image);
    } catch (e) {
      kept.push({ image, reason: (e as Error).message });
    }
  }
  return { removed, kept };
}
