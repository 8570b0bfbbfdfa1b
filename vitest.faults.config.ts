import { defineConfig } from 'vitest/config';
import FaultSummaryReporter from './tests/faults/summary-reporter.js';

// `npm run test:faults`: signals, timeouts, kills of the ingester, concurrent writers and bad inputs, against the
// built CLI as the rootless test user. Ends with the summary the reporter prints.
export default defineConfig({
  test: {
    include: ['tests/faults/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    // Two files at a time fit the 2-core machines; the cases within a file run in order.
    maxWorkers: 2,
    reporters: ['default', new FaultSummaryReporter(), ['json', { outputFile: '.vitest-faults-results.json' }]],
  },
});
