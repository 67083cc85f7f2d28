// How many rounds each race test runs: one in `npm test`; under `npm run fuzz` (FUZZ_RUNS set)
// RACE_ROUNDS of them (default 10), each on fresh resources, since a race that passed once can
// lose the next time.
export const RACE_ROUNDS = process.env.FUZZ_RUNS ? Math.max(1, Number(process.env.RACE_ROUNDS ?? 10)) : 1;

/** 1..RACE_ROUNDS, for `it.each(rounds())("… (round %i)", …)`. */
export const rounds = (): number[] => Array.from({ length: RACE_ROUNDS }, (_, i) => i + 1);
