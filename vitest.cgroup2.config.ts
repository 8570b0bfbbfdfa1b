import { defineConfig } from 'vitest/config';

// `npm run test:cgroup2`: limits and OOM on a pure cgroup v2 host with delegated controllers (the cgroup2-vm
// guest: ../shared/vm/cgroup2-vm run -- npm run test:cgroup2). Elsewhere the run fails at once (require-v2.ts).
export default defineConfig({
  test: {
    include: ['tests/cgroup2/**/*.test.ts'],
    globalSetup: ['tests/cgroup2/require-v2.ts'],
    // The VM emulates its CPU (TCG): podman runs take seconds there.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    maxWorkers: 1,
    // Threads, not forks: vitest gives a worker a fixed 60 s to start, which a forked node misses in the emulated
    // guest when the host is loaded.
    pool: 'threads',
  },
});
