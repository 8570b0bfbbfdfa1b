// What a benchmark reports: one figure, with the baseline it is compared to when there is one.
export interface BenchFigure {
  /** e.g. "launch overhead (agentpod run vs raw podman run)" */
  name: string;
  /** null: not measured here (the note says why). */
  value: number | null;
  unit: string;
  /** The same quantity measured for the baseline in the same run. */
  baseline?: number;
  /** value / baseline, or another ratio the figure is judged by. */
  ratio?: number;
  /** The goal, in words ("ratio <= 1.05", "< 1% of one core"). */
  goal?: string;
  note?: string;
}

export type Bench = (options: { quick: boolean }) => Promise<BenchFigure[]>;
