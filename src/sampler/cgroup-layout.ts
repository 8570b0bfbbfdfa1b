// Which cgroup hierarchy this host mounts: what the sampler picks its source by and doctor reports.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type CgroupLayout = 'v2' | 'hybrid' | 'v1';

export function cgroupLayout(root = '/sys/fs/cgroup'): CgroupLayout {
  if (existsSync(join(root, 'cgroup.controllers'))) return 'v2';
  return existsSync(join(root, 'unified')) ? 'hybrid' : 'v1';
}
