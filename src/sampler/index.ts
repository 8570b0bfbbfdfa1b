// The resource sampler (docs/sampler.md): what execute.ts and the benches use.
export { DEFAULT_SAMPLE_INTERVAL_MS, startSampler, type Sampler, type SamplerOptions, type SamplerSummary } from './sampler.js';
export { takeHostSnapshot } from './host.js';
