// test:cgroup2 must fail loudly, not skip, where it cannot test what it is for.
import { existsSync, readFileSync } from 'node:fs';

export default function requirePureCgroupV2(): void {
  const controllers = existsSync('/sys/fs/cgroup/cgroup.controllers') ? readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8') : null;
  if (controllers === null) {
    throw new Error(
      'test:cgroup2 needs a pure cgroup v2 host (this one is v1 or hybrid: no /sys/fs/cgroup/cgroup.controllers). ' +
        'On these machines run it in the cgroup-v2 guest: ../shared/vm/cgroup2-vm run -- npm run test:cgroup2',
    );
  }
}
