// Which cgroup hierarchy this host mounts: pure v2, hybrid (v1 controllers plus an empty v2 tree), or v1.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type CgroupLayout = 'v2' | 'hybrid' | 'v1';

export function cgroupLayout(root = '/sys/fs/cgroup'): CgroupLayout {
  if (existsSync(join(root, 'cgroup.controllers'))) return 'v2';
  return existsSync(join(root, 'unified')) ? 'hybrid' : 'v1';
}
