// Tests that drive another client or tool (kcat, confluent-kafka-python, kafka-python): run when it
// is usable, else skipped with the reason, or failed when CI requires every cross-client test
// (SAMSA_REQUIRE_CROSS_CLIENT=1).
import type { Test } from 'tap';

export const REQUIRED = process.env.SAMSA_REQUIRE_CROSS_CLIENT === '1';

/** Registers subtest `name` on `t`; `missing` is null when `what` is usable, else why it is not. */
export function crossClientTest(t: Test, name: string, what: string, missing: string | null, fn: (t: Test) => Promise<void>): void {
  if (missing === null) t.test(name, fn);
  else if (REQUIRED) {
    t.test(name, async t => {
      t.fail(`${name} is required (SAMSA_REQUIRE_CROSS_CLIENT=1) but not usable: ${missing}`);
    });
  } else t.test(name, { skip: `needs ${what}, which is not usable here: ${missing}; install it, or set SAMSA_REQUIRE_CROSS_CLIENT=1 to fail instead` }, fn);
}
